/* regular_file.c — see regular_file.h. */
#include "util/regular_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "of an unknown file type";
}

bool ltr_check_regular_file(const char *path, const char *what, char *err, size_t cap,
                            int64_t *size) {
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, cap, "%s %s: %s", what, path, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, cap, "%s %s: is %s, not a regular file: give the path of a file", what,
                 path, kind_of(st.st_mode));
        return false;
    }
    if (size) *size = (int64_t)st.st_size;
    return true;
}
