/*
 * discover.c — where plugins are found by name, and `ltrun plugins`.
 *
 * Search path, first match wins: each directory of $LT_PLUGIN_PATH (colon list, empty
 * pieces skipped), then the user's $XDG_DATA_HOME/ltrun/plugins (XDG default
 * ~/.local/share), then the shipped plugins: for an installed ltrun the installed
 * $(pkglibdir)/plugins, for an ltrun run from its build tree (the README's quick start,
 * `make check`) that build's BUILD/plugins and BUILD/examples instead, so a build never
 * mixes in plugins another build installed. In each directory a NAME is looked for as
 * NAME.so, then <kind dir>/NAME.so (modules, data, callbacks, loggers, strategies),
 * which is how the installed tree is laid out. The current directory is never
 * searched unless the user puts it on LT_PLUGIN_PATH.
 */
#include "plugin/loader.h"

#include "ltr_dirs.h" /* LTR_PLUGINDIR, LTR_BUILDDIR: the configured directories */

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same_dir(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && S_ISDIR(sa.st_mode) &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

const char *ltr_build_tree(void) {
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return NULL;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = '\0';
    char tests[PATH_MAX];
    snprintf(tests, sizeof tests, "%.4000s/tests", LTR_BUILDDIR);
    /* BUILD/ltrun, or a test program in BUILD/tests: an installed copy lives elsewhere */
    if (same_dir(exe, LTR_BUILDDIR) || same_dir(exe, tests)) return LTR_BUILDDIR;
    return NULL;
}

int ltr_plugin_search_dirs(char dirs[][1024], int max) {
    int n = 0;
    const char *env = getenv("LT_PLUGIN_PATH");
    for (const char *p = env; p && *p && n < max - 3;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0 && len < 1024) snprintf(dirs[n++], 1024, "%.*s", (int)len, p);
        p += len + (colon ? 1 : 0);
    }
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(dirs[n++], 1024, "%s/ltrun/plugins", xdg);
    else if (home && *home) snprintf(dirs[n++], 1024, "%s/.local/share/ltrun/plugins", home);
    const char *build = ltr_build_tree();
    if (build) {
        snprintf(dirs[n++], 1024, "%.1000s/plugins", build);
        snprintf(dirs[n++], 1024, "%.1000s/examples", build);
    } else {
        snprintf(dirs[n++], 1024, "%s", LTR_PLUGINDIR);
    }
    return n;
}

/* ------------------------------------------------------------ ltrun plugins */

typedef struct seen {
    uint32_t kind;
    char name[128];
    char path[1100];
} seen;

/* One line of the listing; the columns are sized to the widest entry once all are in. */
typedef struct row {
    char kind[16], name[128], version[32], abi[16];
    char path[1100];
    char note[1200]; /* "(shadowed by ...)" or, for a rejected file, the reason */
    bool rejected;
} row;

typedef struct listing {
    seen *s;
    int ns, max;
    row *rows;
    int nrows, cap;
} listing;

static row *add_row(listing *l) {
    if (l->nrows == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        row *r = realloc(l->rows, (size_t)cap * sizeof *r);
        if (!r) return NULL;
        l->rows = r;
        l->cap = cap;
    }
    row *r = &l->rows[l->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

static void list_file(const char *path, listing *l) {
    ltr_plugin p;
    char err[1024];
    /* one folder reached twice (LT_PLUGIN_PATH naming a shipped folder): list it once */
    char real[PATH_MAX], other[PATH_MAX];
    if (realpath(path, real))
        for (int i = 0; i < l->nrows; i++)
            if (realpath(l->rows[i].path, other) && !strcmp(real, other)) return;
    row *r = add_row(l);
    if (!r) return;
    snprintf(r->path, sizeof r->path, "%s", path);
    if (ltr_plugin_load(path, (lt_plugin_kind)0, &p, err, sizeof err) != LT_OK) {
        r->rejected = true;
        snprintf(r->note, sizeof r->note, "%s", err);
        return;
    }
    const lt_descriptor *d = p.desc;
    const char *shadow = NULL;
    for (int i = 0; i < l->ns; i++)
        if (l->s[i].kind == d->kind && !strcmp(l->s[i].name, d->name)) shadow = l->s[i].path;
    snprintf(r->kind, sizeof r->kind, "%s", ltr_kind_name((lt_plugin_kind)d->kind));
    snprintf(r->name, sizeof r->name, "%s", d->name);
    snprintf(r->version, sizeof r->version, "%s", d->version);
    snprintf(r->abi, sizeof r->abi, "ABI %u.%u", d->abi_major, d->abi_minor);
    if (shadow) snprintf(r->note, sizeof r->note, "  (shadowed by %.1100s)", shadow);
    if (!shadow && l->ns < l->max) {
        seen *e = &l->s[l->ns++];
        e->kind = d->kind;
        snprintf(e->name, sizeof e->name, "%s", d->name);
        snprintf(e->path, sizeof e->path, "%s", path);
    }
    ltr_plugin_unload(&p);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.so directly in dir, sorted by name. */
static void list_dir(const char *dir, listing *l) {
    DIR *d = opendir(dir);
    if (!d) return;
    char *names[512];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512) {
        size_t len = strlen(e->d_name);
        if (len > 3 && !strcmp(e->d_name + len - 3, ".so")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[1100];
        if (names[i]) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            list_file(path, l);
        }
        free(names[i]);
    }
}

static int width(const listing *l, size_t off, const char *head) {
    size_t w = strlen(head);
    for (int i = 0; i < l->nrows; i++) {
        size_t n = strlen((const char *)&l->rows[i] + off);
        if (!l->rows[i].rejected && n > w) w = n;
    }
    return (int)w;
}

int ltr_plugins_list(FILE *out) {
    char dirs[LTR_MAX_SEARCH_DIRS][1024];
    int nd = ltr_plugin_search_dirs(dirs, LTR_MAX_SEARCH_DIRS);
    static seen s[1024];
    listing l = {.s = s, .max = 1024};
    fprintf(out, "search path (first match wins; the current directory is not searched):\n");
    for (int i = 0; i < nd; i++) fprintf(out, "  %s\n", dirs[i]);
    static const lt_plugin_kind kinds[] = {LT_KIND_MODULE, LT_KIND_DATAMODULE, LT_KIND_CALLBACK,
                                           LT_KIND_LOGGER, LT_KIND_STRATEGY};
    for (int i = 0; i < nd; i++) {
        list_dir(dirs[i], &l);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char sub[1100];
            snprintf(sub, sizeof sub, "%.1023s/%s", dirs[i], ltr_kind_dir(kinds[k]));
            list_dir(sub, &l);
        }
    }
    int wk = width(&l, offsetof(row, kind), "KIND"), wn = width(&l, offsetof(row, name), "NAME"),
        wv = width(&l, offsetof(row, version), "VERSION"), wa = width(&l, offsetof(row, abi), "ABI");
    fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", wk, "KIND", wn, "NAME", wv, "VERSION", wa, "ABI",
            "PATH");
    for (int i = 0; i < l.nrows; i++) {
        const row *r = &l.rows[i];
        if (r->rejected) fprintf(out, "rejected  %s: %s\n", r->path, r->note);
        else
            fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s%s\n", wk, r->kind, wn, r->name, wv, r->version,
                    wa, r->abi, r->path, r->note);
    }
    free(l.rows);
    return 0;
}
