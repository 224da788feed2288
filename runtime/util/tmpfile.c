/*
 * tmpfile.c — ltrun's temporary files (tmpfile.h).
 */
#include "util/tmpfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RAND_CHARS 12

static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static void random_chars(char *out) {
    unsigned char b[RAND_CHARS];
    if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b) {
        /* no entropy yet (early boot): still unique, O_EXCL keeps it safe */
        static uint64_t counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 12) ^ ++counter;
        for (int i = 0; i < RAND_CHARS; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            b[i] = (unsigned char)(x >> 56);
        }
    }
    for (int i = 0; i < RAND_CHARS; i++) out[i] = alnum[b[i] % (sizeof alnum - 1)];
    out[RAND_CHARS] = '\0';
}

/* target's folder ("." when none) and base name */
static void split(const char *target, char *dir, size_t cap, const char **base) {
    const char *slash = strrchr(target, '/');
    if (!slash) {
        snprintf(dir, cap, ".");
        *base = target;
    } else if (slash == target) {
        snprintf(dir, cap, "/");
        *base = slash + 1;
    } else {
        snprintf(dir, cap, "%.*s", (int)(slash - target), target);
        *base = slash + 1;
    }
}

/* Whether this process has not yet tidied `dir` (then it is noted): stale files come only
 * from writers that died before this process started writing there, so once per folder
 * is enough, and a csv logger rewriting every few steps does not scan its folder each time. */
static bool first_time_in(const char *dir) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char seen[16][4096];
    static int nseen;
    bool first = true;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < nseen && first; i++) first = strcmp(seen[i], dir) != 0;
    if (first && nseen < 16) snprintf(seen[nseen++], sizeof seen[0], "%s", dir);
    pthread_mutex_unlock(&lock);
    return first;
}

int ltr_tmp_create(const char *target, char *buf, size_t cap) {
    char dir[4096];
    const char *base;
    split(target, dir, sizeof dir, &base);
    if (first_time_in(dir)) ltr_tmp_clean_stale(target); /* writers tidy the folder they write into */
    for (int attempt = 0; attempt < 100; attempt++) {
        char r[RAND_CHARS + 1];
        random_chars(r);
        /* the base is cut so that the name stays within NAME_MAX (255) */
        int n = snprintf(buf, cap, "%s/.%.200s" LTR_TMP_TAG "%ld-%s", dir, base, (long)getpid(), r);
        if (n < 0 || (size_t)n >= cap) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

bool ltr_tmp_is_name(const char *name, long *pid) {
    if (name[0] != '.') return false;
    const char *tag = NULL;
    for (const char *p = strstr(name, LTR_TMP_TAG); p; p = strstr(p + 1, LTR_TMP_TAG)) tag = p;
    if (!tag || tag == name) return false;
    const char *p = tag + strlen(LTR_TMP_TAG);
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end == p || *p < '0' || *p > '9' || errno || v <= 0 || *end != '-') return false;
    const char *r = end + 1;
    if (strlen(r) != RAND_CHARS || strspn(r, alnum) != RAND_CHARS) return false;
    if (pid) *pid = v;
    return true;
}

int ltr_tmp_clean_stale(const char *target) {
    char dir[4096];
    const char *base;
    split(target, dir, sizeof dir, &base);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid;
        if (!ltr_tmp_is_name(e->d_name, &pid) || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to judge) */
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode)) continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0) removed++; /* a symlink itself, not its target */
    }
    closedir(d);
    return removed;
}
