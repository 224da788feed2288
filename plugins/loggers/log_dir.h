/*
 * log_dir.h — where a logger plugin writes (header-only, static inline; shared by the
 * csv, jsonl, tensorboard and mlflow loggers, each its own .so).
 *
 * logger_version_dir: Lightning's <save_dir>/<name>/<version> rule. name "" drops that
 * level; version "" takes _get_next_version (1 + the largest existing version_<int>, 0 if
 * none); an int-looking version reads as version_<int>, any other string is used as is.
 */
#ifndef LT_LOGGERS_LOG_DIR_H
#define LT_LOGGERS_LOG_DIR_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p; 0, or -1 with errno set */
static inline int logger_mkdirs(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

static inline void logger_version_dir(char *out, size_t cap, const char *save_dir, const char *name,
                               const char *version) {
    char root[1800];
    if (name[0]) snprintf(root, sizeof root, "%s/%s", save_dir, name);
    else snprintf(root, sizeof root, "%s", save_dir);
    if (version[0]) {
        char *end;
        strtol(version, &end, 10);
        snprintf(out, cap, *end ? "%s/%s" : "%s/version_%s", root, version);
        return;
    }
    long next = 0;
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "version_", 8)) continue;
        char *end;
        long v = strtol(e->d_name + 8, &end, 10);
        if (*end == '\0' && e->d_name[8] && v + 1 > next) next = v + 1;
    }
    if (d) closedir(d);
    snprintf(out, cap, "%s/version_%ld", root, next);
}

#endif
