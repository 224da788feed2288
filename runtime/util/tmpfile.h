/*
 * tmpfile.h — ltrun's temporary files: one naming for every writer that replaces a file
 * by rename, DIR/.BASE.ltrun-tmp-<pid>-<12 random letters and digits> beside DIR/BASE.
 * Created with O_CREAT|O_EXCL|O_NOFOLLOW under a name nobody can predict, so a planted
 * file or symlink is never written through. A writer that dies (kill -9) leaves its file
 * behind; the next writer into that folder removes the ones whose pid is gone.
 */
#ifndef LTR_UTIL_TMPFILE_H
#define LTR_UTIL_TMPFILE_H

#include <stdbool.h>
#include <stddef.h>

#define LTR_TMP_TAG ".ltrun-tmp-"

/* A new, empty temporary file for `target` in target's folder (mode 0666 & ~umask): its
 * fd (O_WRONLY, close-on-exec), its path in buf; -1 with errno set on failure. The first
 * call of the process for a folder removes its stale temporary files (ltr_tmp_clean_stale). */
int ltr_tmp_create(const char *target, char *buf, size_t cap);

/* Whether a directory entry's name is ltrun's temporary naming; *pid: its writer. */
bool ltr_tmp_is_name(const char *name, long *pid);

/* Remove ltrun's temporary files in target's folder whose writer no longer runs
 * (kill(pid, 0) fails with ESRCH); nothing else is touched. Returns how many. */
int ltr_tmp_clean_stale(const char *target);

#endif
