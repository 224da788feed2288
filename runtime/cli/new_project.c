/*
 * new_project.c — `ltrun new KIND NAME [DIR]`.
 *
 * Contract: copies the template of KIND (module | datamodule | callback | logger) into
 * DIR (default ./NAME), replacing the placeholder `tpl_KIND` by NAME in every file name
 * and file content, so the plugin's registered name, its C identifiers, the Makefile's
 * NAME and the README all become NAME. NAME must be a C identifier
 * ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters) because it names the plugin and its
 * symbols. DIR may exist only if it is empty (nothing is ever overwritten).
 *
 * Where the templates are, first match wins:
 *   1. $LTRUN_TEMPLATE_DIR (tests from the build tree: $(top_srcdir)/sdk/templates)
 *   2. <dir of the running ltrun>/../share/ltrun/templates (the installed layout,
 *      bindir = PREFIX/bin, pkgdatadir = PREFIX/share/ltrun; works for relocated and
 *      DESTDIR-staged installs)
 *   3. LTR_TEMPLATEDIR, the configured $(pkgdatadir)/templates compiled in.
 * A template directory holds plain files only (no sub-directories).
 */
#include "cli/new_project.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ltr_dirs.h" /* LTR_TEMPLATEDIR, the configured $(pkgdatadir)/templates */

enum { NEW_OK = 0, NEW_IO = 1, NEW_USAGE = 2 };
#define MAX_NAME 64
#define MAX_FILE (1 << 20) /* templates are small; refuse anything odd */

static const char *const kinds[] = {"module", "datamodule", "callback", "logger"};

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME) return false;
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

/* The template root (containing module/, datamodule/, ...) into root; false if none. */
static bool find_templates(char *root, size_t cap, char *looked, size_t lcap) {
    char cand[3][PATH_MAX];
    int n = 0;
    const char *env = getenv("LTRUN_TEMPLATE_DIR");
    if (env && *env) snprintf(cand[n++], PATH_MAX, "%.4000s", env);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(cand[n++], PATH_MAX, "%.3000s/../share/ltrun/templates", exe);
        }
    }
    snprintf(cand[n++], PATH_MAX, "%.4000s", LTR_TEMPLATEDIR);
    looked[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (is_dir(cand[i])) {
            snprintf(root, cap, "%.4000s", cand[i]);
            return true;
        }
        size_t l = strlen(looked);
        snprintf(looked + l, lcap - l, "%s%s", l ? ", " : "", cand[i]);
    }
    return false;
}

/* s with every `from` replaced by `to` (malloc'd; NULL on overflow or no memory). */
static char *replace_all(const char *s, size_t n, const char *from, const char *to,
                         size_t *outn) {
    size_t fl = strlen(from), tl = strlen(to), count = 0;
    for (size_t i = 0; i + fl <= n;)
        if (!memcmp(s + i, from, fl)) count++, i += fl;
        else i++;
    size_t total = n + count * tl - count * fl;
    char *r = malloc(total + 1);
    if (!r) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (i + fl <= n && !memcmp(s + i, from, fl)) {
            memcpy(r + o, to, tl);
            o += tl;
            i += fl;
        } else {
            r[o++] = s[i++];
        }
    }
    r[o] = '\0';
    *outn = o;
    return r;
}

static int copy_one(const char *src, const char *dst, const char *from, const char *to,
                    FILE *err) {
    FILE *in = fopen(src, "rb");
    if (!in) {
        fprintf(err, "ltrun new: error: cannot read template file %s: %s\n", src, strerror(errno));
        return NEW_IO;
    }
    char *buf = malloc(MAX_FILE);
    size_t n = buf ? fread(buf, 1, MAX_FILE, in) : 0;
    bool too_big = buf && n == MAX_FILE;
    fclose(in);
    if (!buf || too_big) {
        fprintf(err, "ltrun new: error: template file %s is too large or memory ran out\n", src);
        free(buf);
        return NEW_IO;
    }
    size_t outn;
    char *text = replace_all(buf, n, from, to, &outn);
    free(buf);
    FILE *out = text ? fopen(dst, "wx") : NULL; /* never overwrite */
    if (!out) {
        fprintf(err, "ltrun new: error: cannot create %s: %s\n", dst, strerror(errno));
        free(text);
        return NEW_IO;
    }
    bool ok = fwrite(text, 1, outn, out) == outn;
    ok = fclose(out) == 0 && ok;
    free(text);
    if (!ok) {
        fprintf(err, "ltrun new: error: writing %s: %s\n", dst, strerror(errno));
        return NEW_IO;
    }
    return NEW_OK;
}

/* mkdir -p */
static int make_dirs(const char *path) {
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: ltrun new KIND NAME [DIR]\n"
               "  KIND: module | datamodule | callback | logger\n"
               "  NAME: the plugin's name, a C identifier ([A-Za-z_][A-Za-z0-9_]*)\n"
               "  DIR:  where to create the project (default ./NAME; must be new or empty)\n");
}

int ltr_new_project(int argc, char **argv, FILE *out, FILE *err) {
    if (argc >= 1 && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))) {
        usage(out);
        return NEW_OK;
    }
    if (argc < 2 || argc > 3) {
        fprintf(err, "ltrun new: error: expected KIND NAME [DIR], got %d argument%s\n", argc,
                argc == 1 ? "" : "s");
        usage(err);
        return NEW_USAGE;
    }
    const char *kind = argv[0], *name = argv[1], *dir = argc == 3 ? argv[2] : argv[1];
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) known |= !strcmp(kind, kinds[i]);
    if (!known) {
        fprintf(err, "ltrun new: error: unknown kind '%s': use module, datamodule, callback "
                     "or logger\n", kind);
        return NEW_USAGE;
    }
    if (!valid_name(name)) {
        fprintf(err, "ltrun new: error: invalid name '%s': a plugin name must be a C identifier "
                     "([A-Za-z_][A-Za-z0-9_]*, at most %d characters), e.g. my_%s\n",
                name, MAX_NAME, kind);
        return NEW_USAGE;
    }
    char root[PATH_MAX], looked[4 * PATH_MAX], src[PATH_MAX];
    if (!find_templates(root, sizeof root, looked, sizeof looked)) {
        fprintf(err, "ltrun new: error: no template directory found (looked in %s): reinstall "
                     "ltrun or set LTRUN_TEMPLATE_DIR to its sdk/templates\n", looked);
        return NEW_IO;
    }
    snprintf(src, sizeof src, "%.4000s/%s", root, kind);
    DIR *d = opendir(src);
    if (!d) {
        fprintf(err, "ltrun new: error: template '%s' missing: cannot open %s: %s\n", kind, src,
                strerror(errno));
        return NEW_IO;
    }
    /* refuse an existing non-empty DIR (or a file) before touching anything */
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            fprintf(err, "ltrun new: error: %s exists and is not a directory: choose another DIR\n",
                    dir);
            closedir(d);
            return NEW_USAGE;
        }
        DIR *t = opendir(dir);
        struct dirent *e;
        bool empty = t != NULL;
        while (t && (e = readdir(t)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = false;
        if (t) closedir(t);
        if (!empty) {
            fprintf(err, "ltrun new: error: %s already exists and is not empty: choose another "
                         "DIR or remove it\n", dir);
            closedir(d);
            return NEW_USAGE;
        }
    } else if (make_dirs(dir)) {
        fprintf(err, "ltrun new: error: cannot create %s: %s\n", dir, strerror(errno));
        closedir(d);
        return NEW_IO;
    }
    char placeholder[32];
    snprintf(placeholder, sizeof placeholder, "tpl_%s", kind);
    int rc = NEW_OK, nfiles = 0;
    struct dirent *e;
    while (rc == NEW_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char from[PATH_MAX], to[PATH_MAX];
        snprintf(from, sizeof from, "%.3800s/%.255s", src, e->d_name);
        if (stat(from, &st) || !S_ISREG(st.st_mode)) continue;
        size_t nn;
        char *fname = replace_all(e->d_name, strlen(e->d_name), placeholder, name, &nn);
        if (!fname) {
            rc = NEW_IO;
            break;
        }
        snprintf(to, sizeof to, "%.3800s/%s", dir, fname);
        free(fname);
        rc = copy_one(from, to, placeholder, name, err);
        if (rc == NEW_OK) {
            fprintf(out, "  created %s\n", to);
            nfiles++;
        }
    }
    closedir(d);
    if (rc != NEW_OK) return rc;
    if (nfiles == 0) {
        fprintf(err, "ltrun new: error: template %s holds no files: reinstall ltrun\n", src);
        return NEW_IO;
    }
    fprintf(out, "new %s plugin '%s' in %s (from %s)\nbuild it with:  make -C %s\n", kind, name,
            dir, src, dir);
    return NEW_OK;
}
