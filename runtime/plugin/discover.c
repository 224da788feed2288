/*
 * discover.c — where plugins are found by name, and `ltrun plugins`.
 *
 * Search path, first match wins: each directory of $LT_PLUGIN_PATH (colon list, empty
 * pieces skipped), then the user's $XDG_DATA_HOME/ltrun/plugins (XDG default
 * ~/.local/share), then the installed $(pkglibdir)/plugins. In each directory a NAME is
 * looked for as NAME.so, then <kind dir>/NAME.so (modules, data, callbacks, loggers,
 * strategies), which is how the installed tree is laid out. The current directory is
 * never searched unless the user puts it on LT_PLUGIN_PATH.
 */
#include "plugin/loader.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifndef LTR_PLUGINDIR
#define LTR_PLUGINDIR "/usr/local/lib/ltrun/plugins"
#endif

int ltr_plugin_search_dirs(char dirs[][1024], int max) {
    int n = 0;
    const char *env = getenv("LT_PLUGIN_PATH");
    for (const char *p = env; p && *p && n < max - 2;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0 && len < 1024) snprintf(dirs[n++], 1024, "%.*s", (int)len, p);
        p += len + (colon ? 1 : 0);
    }
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(dirs[n++], 1024, "%s/ltrun/plugins", xdg);
    else if (home && *home) snprintf(dirs[n++], 1024, "%s/.local/share/ltrun/plugins", home);
    snprintf(dirs[n++], 1024, "%s", LTR_PLUGINDIR);
    return n;
}

/* ------------------------------------------------------------ ltrun plugins */

typedef struct seen {
    uint32_t kind;
    char name[128];
    char path[1100];
} seen;

static void list_file(FILE *out, const char *path, seen *s, int *ns, int max) {
    ltr_plugin p;
    char err[1024];
    if (ltr_plugin_load(path, (lt_plugin_kind)0, &p, err, sizeof err) != LT_OK) {
        fprintf(out, "rejected    %s: %s\n", path, err);
        return;
    }
    const lt_descriptor *d = p.desc;
    const char *shadow = NULL;
    for (int i = 0; i < *ns; i++)
        if (s[i].kind == d->kind && !strcmp(s[i].name, d->name)) shadow = s[i].path;
    fprintf(out, "%-11s %-20s %-8s ABI %u.%u  %s", ltr_kind_name((lt_plugin_kind)d->kind),
            d->name, d->version, d->abi_major, d->abi_minor, path);
    if (shadow) fprintf(out, "  (shadowed by %s)", shadow);
    fputc('\n', out);
    if (!shadow && *ns < max) {
        s[*ns].kind = d->kind;
        snprintf(s[*ns].name, sizeof s[*ns].name, "%s", d->name);
        snprintf(s[*ns].path, sizeof s[*ns].path, "%s", path);
        (*ns)++;
    }
    ltr_plugin_unload(&p);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.so directly in dir, sorted by name. */
static void list_dir(FILE *out, const char *dir, seen *s, int *ns, int max) {
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
            list_file(out, path, s, ns, max);
        }
        free(names[i]);
    }
}

int ltr_plugins_list(FILE *out) {
    char dirs[LTR_MAX_SEARCH_DIRS][1024];
    int nd = ltr_plugin_search_dirs(dirs, LTR_MAX_SEARCH_DIRS);
    static seen s[1024];
    int ns = 0;
    fprintf(out, "search path (first match wins; the current directory is not searched):\n");
    for (int i = 0; i < nd; i++) fprintf(out, "  %s\n", dirs[i]);
    fprintf(out, "%-11s %-20s %-8s %-8s  %s\n", "KIND", "NAME", "VERSION", "ABI", "PATH");
    static const lt_plugin_kind kinds[] = {LT_KIND_MODULE, LT_KIND_DATAMODULE, LT_KIND_CALLBACK,
                                           LT_KIND_LOGGER, LT_KIND_STRATEGY};
    for (int i = 0; i < nd; i++) {
        list_dir(out, dirs[i], s, &ns, 1024);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char sub[1100];
            snprintf(sub, sizeof sub, "%.1023s/%s", dirs[i], ltr_kind_dir(kinds[k]));
            list_dir(out, sub, s, &ns, 1024);
        }
    }
    return 0;
}
