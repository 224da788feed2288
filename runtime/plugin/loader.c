/* loader.c — resolve, dlopen and check plugins (the ABI negotiation of DESIGN.md). */
#include "plugin/loader.h"

#include "core/context.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef LTR_PLUGINDIR
#define LTR_PLUGINDIR "/usr/local/lib/ltrun/plugins"
#endif

static lt_status fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static lt_status fail(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return LT_ERROR;
}

const char *ltr_kind_name(lt_plugin_kind kind) {
    switch (kind) {
    case LT_KIND_MODULE: return "module";
    case LT_KIND_DATAMODULE: return "datamodule";
    case LT_KIND_CALLBACK: return "callback";
    case LT_KIND_LOGGER: return "logger";
    case LT_KIND_STRATEGY: return "strategy";
    }
    return "unknown";
}

static const char *kind_dir(lt_plugin_kind kind) {
    switch (kind) {
    case LT_KIND_MODULE: return "modules";
    case LT_KIND_DATAMODULE: return "data";
    case LT_KIND_CALLBACK: return "callbacks";
    case LT_KIND_LOGGER: return "loggers";
    case LT_KIND_STRATEGY: return "strategies";
    }
    return "other";
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

lt_status ltr_plugin_resolve(const char *spec, lt_plugin_kind kind, char *path, size_t cap,
                             char *err, size_t errcap) {
    size_t len = strlen(spec);
    bool explicit_path = strchr(spec, '/') || (len > 3 && !strcmp(spec + len - 3, ".so"));
    if (explicit_path) {
        if (!is_file(spec)) return fail(err, errcap, "plugin file not found: %s", spec);
        snprintf(path, cap, "%s", spec);
        return LT_OK;
    }
    /* a bare name: LT_PLUGIN_PATH, then the installed directory; never "." implicitly */
    char looked[2048] = "";
    size_t lk = 0;
    const char *env = getenv("LT_PLUGIN_PATH");
    char *dirs = strdup(env ? env : "");
    if (!dirs) return fail(err, errcap, "out of memory");
    char installed[1024];
    snprintf(installed, sizeof installed, "%s/%s", LTR_PLUGINDIR, kind_dir(kind));
    char *save = NULL;
    const char *dir = strtok_r(dirs, ":", &save);
    for (int pass = 0; pass < 2; pass++) {
        while (pass == 0 ? dir != NULL : dir == installed) {
            snprintf(path, cap, "%s/%s.so", dir, spec);
            if (is_file(path)) {
                free(dirs);
                return LT_OK;
            }
            int n = snprintf(looked + lk, sizeof looked - lk, "%s%s", lk ? ", " : "", dir);
            if (n > 0 && (size_t)n < sizeof looked - lk) lk += (size_t)n;
            dir = pass == 0 ? strtok_r(NULL, ":", &save) : NULL;
        }
        dir = installed;
    }
    free(dirs);
    return fail(err, errcap,
                "no %s plugin named '%s' (looked for %s.so in: %s); give a path like "
                "./%s.so, or add its folder to LT_PLUGIN_PATH",
                ltr_kind_name(kind), spec, spec, looked, spec);
}

static bool valid_name(const char *s) {
    if (!s || !*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

/* The frozen head of a descriptor: check it before touching anything else. */
static lt_status check_descriptor(const char *path, const lt_descriptor *d, uint32_t i, char *err,
                                  size_t cap) {
    if (!d) return fail(err, cap, "%s: descriptor %u is NULL", path, i);
    if (d->abi_major != LT_ABI_MAJOR)
        return fail(err, cap,
                    "%s: built for ltrun plugin ABI %u.%u, this ltrun speaks ABI %d.%d: rebuild "
                    "the plugin against this ltrun's ltrun.h",
                    path, d->abi_major, d->abi_minor, LT_ABI_MAJOR, LT_ABI_MINOR);
    if (d->abi_minor > LT_ABI_MINOR)
        return fail(err, cap,
                    "%s: built for ABI %u.%u, newer than this ltrun's %d.%d: upgrade ltrun or "
                    "rebuild the plugin against this ltrun's ltrun.h",
                    path, d->abi_major, d->abi_minor, LT_ABI_MAJOR, LT_ABI_MINOR);
    if (d->size < offsetof(lt_descriptor, vtable) + sizeof d->vtable)
        return fail(err, cap, "%s: descriptor %u is too small (%u bytes): not an ltrun plugin?",
                    path, i, d->size);
    if (!valid_name(d->name))
        return fail(err, cap, "%s: descriptor %u has no valid name (letters, digits, _ and -)",
                    path, i);
    if (!d->version) return fail(err, cap, "%s: plugin '%s' has no version string", path, d->name);
    if (!d->vtable || *(const uint32_t *)d->vtable < sizeof(uint32_t))
        return fail(err, cap, "%s: plugin '%s' has no hook table (vtable size 0)", path, d->name);
    if (d->kind < LT_KIND_MODULE || d->kind > LT_KIND_STRATEGY)
        return fail(err, cap, "%s: plugin '%s' has an unknown kind %u", path, d->name, d->kind);
    return LT_OK;
}

lt_status ltr_plugin_load(const char *path, lt_plugin_kind kind, ltr_plugin *out, char *err,
                          size_t errcap) {
    memset(out, 0, sizeof *out);
    if (!is_file(path)) return fail(err, errcap, "plugin file not found: %s", path);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return fail(err, errcap, "%s: cannot be loaded as a shared object (%s); build plugins "
                                 "with -shared -fPIC", path, why ? why : "unknown reason");
    }
    lt_entry_fn entry;
    *(void **)&entry = dlsym(h, LT_ENTRY_SYMBOL);
    if (!entry) {
        dlclose(h);
        return fail(err, errcap, "%s: no entry symbol '%s': was it built with LT_MODULE(...) / "
                                 "LT_DATAMODULE(...) from ltrun.h?", path, LT_ENTRY_SYMBOL);
    }
    uint32_t count = 0;
    const lt_descriptor *const *list = entry(ltr_host_api(), &count);
    lt_status rc = LT_OK;
    const lt_descriptor *found = NULL;
    if (!list || count == 0) {
        rc = fail(err, errcap, "%s: the entry returned no plugin descriptors", path);
        goto out;
    }
    for (uint32_t i = 0; i < count && rc == LT_OK; i++) rc = check_descriptor(path, list[i], i, err, errcap);
    for (uint32_t i = 0; i < count && rc == LT_OK; i++)
        for (uint32_t j = 0; j < i && rc == LT_OK; j++)
            if (list[i]->kind == list[j]->kind && !strcmp(list[i]->name, list[j]->name))
                rc = fail(err, errcap, "%s: two %s plugins are named '%s': names must be unique",
                          path, ltr_kind_name((lt_plugin_kind)list[i]->kind), list[i]->name);
    for (uint32_t i = 0; i < count && rc == LT_OK && !found; i++)
        if (list[i]->kind == (uint32_t)kind) found = list[i];
    if (rc == LT_OK && !found) {
        const lt_descriptor *d = list[0];
        const char *flag = kind == LT_KIND_MODULE ? "--module" : kind == LT_KIND_DATAMODULE ? "--data" : "this option";
        rc = fail(err, errcap, "%s is a %s plugin ('%s'), but %s needs a %s plugin", path,
                  ltr_kind_name((lt_plugin_kind)d->kind), d->name, flag, ltr_kind_name(kind));
    }
out:
    if (rc != LT_OK) {
        dlclose(h);
        return rc;
    }
    out->path = strdup(path);
    if (!out->path) {
        dlclose(h);
        return fail(err, errcap, "out of memory");
    }
    out->handle = h;
    out->desc = found;
    return LT_OK;
}

void ltr_plugin_unload(ltr_plugin *p) {
    if (p->handle) dlclose(p->handle);
    free(p->path);
    memset(p, 0, sizeof *p);
}
