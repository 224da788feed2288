/* mkdirs.h — `mkdir -p`: every missing folder of a path, mode 0777 (less the umask). */
#ifndef LTR_UTIL_MKDIRS_H
#define LTR_UTIL_MKDIRS_H

/* 0 when PATH is (now) a folder, else -1 with errno set (ENAMETOOLONG for a path of
 * 4096 bytes or more, ENOTDIR when a piece is a file). */
int ltr_mkdirs(const char *path);

#endif
