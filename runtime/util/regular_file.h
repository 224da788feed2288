/*
 * regular_file.h — refuse what is not a regular file before opening it.
 *
 * A FIFO or a character device given as a file to read (--config, --ckpt-path, an
 * `inspect` argument) blocks the reader forever or reads without end; a directory reads
 * as an empty file. One stat(2) (no open, so it cannot block) says which it is.
 */
#ifndef LTR_REGULAR_FILE_H
#define LTR_REGULAR_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* true when path (symlinks followed) is a regular file; otherwise false with one line in
 * err: "WHAT PATH: No such file or directory", "WHAT PATH: is a directory, not a regular
 * file...", "...: is a FIFO (named pipe), not a regular file...", and so on. `what` names the option ("--config").
 * size (may be NULL) receives the file's size. */
bool ltr_check_regular_file(const char *path, const char *what, char *err, size_t cap,
                            int64_t *size);

#endif
