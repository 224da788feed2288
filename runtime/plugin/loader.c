/*
 * loader.c — resolve, dlopen and check plugins (the ABI negotiation of DESIGN.md).
 *
 * Order matters: nothing of a descriptor is read before its `size` says it is there,
 * the ABI version is judged before any field whose layout a version may change, and
 * no hook runs here at all. Every failure leaves nothing loaded and one line in err
 * that names the file and says what to do.
 */
#include "plugin/loader.h"

#include "accelerators/registry.h"
#include "core/context.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The frozen head (abi_major .. version): the same in every ABI major, so it is all we
 * may read before the major has been checked. */
#define LTR_DESC_HEAD_SIZE (offsetof(lt_descriptor, version) + sizeof(const char *))
/* Everything ABI 1.0 put in a descriptor; any 1.x plugin has at least this much. */
#define LTR_DESC_V1_SIZE (offsetof(lt_descriptor, vtable) + sizeof(const void *))
/* An entry claiming more descriptors than this is corrupt, not generous. */
#define LTR_MAX_DESCRIPTORS 256u
/* How much of the search path the not-found message lists (callers' buffers are ~1 KiB). */
#define LTR_LOOKED_MAX 512

__attribute__((format(printf, 3, 4))) static lt_status fail(char *err, size_t cap,
                                                            const char *fmt, ...) {
    if (!err || cap == 0) return LT_ERROR;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    /* One line, always: dlerror() text, paths and plugin strings are not ours. */
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = ' ';
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

/* Sub-directory of a search directory per kind (matches the install dirs in Makefile.am). */
const char *ltr_kind_dir(lt_plugin_kind kind) {
    switch (kind) {
    case LT_KIND_MODULE: return "modules";
    case LT_KIND_DATAMODULE: return "data";
    case LT_KIND_CALLBACK: return "callbacks";
    case LT_KIND_LOGGER: return "loggers";
    case LT_KIND_STRATEGY: return "strategies";
    }
    return "other";
}

/* The command-line option that takes this kind, for "what to do" hints. */
static const char *kind_flag(lt_plugin_kind kind) {
    switch (kind) {
    case LT_KIND_MODULE: return "--module";
    case LT_KIND_DATAMODULE: return "--data";
    case LT_KIND_STRATEGY: return "--trainer.strategy";
    default: return NULL;
    }
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ------------------------------------------------------------------ resolve */

typedef struct looked_list {
    char text[LTR_LOOKED_MAX];
    size_t len;
    bool cut;
} looked_list;

static void looked_add(looked_list *l, const char *dir, size_t n) {
    if (l->cut) return;
    size_t room = sizeof l->text - l->len;
    int w = snprintf(l->text + l->len, room, "%s%.*s", l->len ? ", " : "", (int)n, dir);
    if (w < 0 || (size_t)w >= room - 4) { /* keep room for the "..." marker */
        l->text[l->len] = '\0';
        snprintf(l->text + l->len, room, "%s...", l->len ? ", " : "");
        l->cut = true;
        return;
    }
    l->len += (size_t)w;
}

/* Look for DIR/SPEC.so; DIR is the n bytes at dir (a piece of a colon list). */
static bool try_dir(const char *dir, size_t n, const char *spec, char *path, size_t cap,
                    looked_list *looked) {
    int w = snprintf(path, cap, "%.*s/%s.so", (int)n, dir, spec);
    if (w > 0 && (size_t)w < cap && is_file(path)) return true;
    looked_add(looked, dir, n);
    return false;
}

/* one NAME may be two kinds' plugins (the `csv` logger and the `csv` data
 * plugin): a bare NAME skips a file that is a valid plugin without a descriptor of the
 * wanted kind, and the search goes on. A broken file is still taken, so loading it
 * reports what is wrong with it. */
static bool other_kind_only(const char *path, lt_plugin_kind kind) {
    ltr_plugin p;
    char e[512];
    if (ltr_plugin_load(path, kind, &p, e, sizeof e) == LT_OK) {
        ltr_plugin_unload(&p);
        return false;
    }
    if (ltr_plugin_load(path, (lt_plugin_kind)0, &p, e, sizeof e) == LT_OK) {
        ltr_plugin_unload(&p);
        return true;
    }
    return false;
}

lt_status ltr_plugin_resolve(const char *spec, lt_plugin_kind kind, char *path, size_t cap,
                             char *err, size_t errcap) {
    const char *flag = kind_flag(kind);
    if (!spec || !*spec)
        return fail(err, errcap, "no %s plugin given: pass a file like %s ./NAME.so, or a NAME "
                                 "found on LT_PLUGIN_PATH", ltr_kind_name(kind),
                    flag ? flag : "");
    if (!path || cap == 0) return fail(err, errcap, "%s: no room for the resolved path", spec);
    size_t len = strlen(spec);
    bool is_path = strchr(spec, '/') != NULL || (len >= 3 && !strcmp(spec + len - 3, ".so"));
    if (is_path) {
        if (!is_file(spec)) return fail(err, errcap, "plugin file not found: %s", spec);
        if (len >= cap) return fail(err, errcap, "%s: path too long (%zu bytes)", spec, len);
        memcpy(path, spec, len + 1);
        return LT_OK;
    }

    /* A bare NAME: the search path of discover.c ($LT_PLUGIN_PATH, the user's
     * $XDG_DATA_HOME/ltrun/plugins, the installed directory), each directory as
     * DIR/NAME.so then DIR/<kind>/NAME.so. Never "." unless the user put it on
     * LT_PLUGIN_PATH: a plugin is code we run. */
    looked_list looked = {.len = 0};
    const char *env = getenv("LT_PLUGIN_PATH");
    char dirs[LTR_MAX_SEARCH_DIRS][1024];
    int nd = ltr_plugin_search_dirs(dirs, LTR_MAX_SEARCH_DIRS);
    for (int i = 0; i < nd; i++) {
        char sub[1100];
        snprintf(sub, sizeof sub, "%.1023s/%s", dirs[i], ltr_kind_dir(kind));
        if (try_dir(dirs[i], strlen(dirs[i]), spec, path, cap, &looked) &&
            !other_kind_only(path, kind))
            return LT_OK;
        if (try_dir(sub, strlen(sub), spec, path, cap, &looked) && !other_kind_only(path, kind))
            return LT_OK;
    }
    path[0] = '\0';
    return fail(err, errcap,
                "no %s plugin named '%s' (looked for %s.so in: %s%s); give a path like "
                "%s%s./%s.so, or add its folder to LT_PLUGIN_PATH",
                ltr_kind_name(kind), spec, spec, looked.text,
                env && *env ? "" : "; LT_PLUGIN_PATH is not set", flag ? flag : "",
                flag ? " " : "", spec);
}

/* ------------------------------------------------------------------ load */

static bool valid_name(const char *s) {
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

/* One descriptor, in the order that makes each read safe (see the file comment). */
static lt_status check_descriptor(const char *path, const lt_descriptor *d, uint32_t i, char *err,
                                  size_t cap) {
    if (!d)
        return fail(err, cap, "%s: descriptor %u is NULL: declare plugins with LT_MODULE(...) / "
                              "LT_DATAMODULE(...) from ltrun.h", path, i);
    if (d->size < LTR_DESC_HEAD_SIZE)
        return fail(err, cap, "%s: descriptor %u is too small (%u bytes, the frozen head needs "
                              "%zu): not an ltrun plugin descriptor; rebuild it with ltrun.h",
                    path, i, d->size, (size_t)LTR_DESC_HEAD_SIZE);
    if (d->abi_major != LT_ABI_MAJOR)
        return fail(err, cap,
                    "%s: built for ltrun ABI %u.%u, this ltrun speaks ABI %d.%d: rebuild the "
                    "plugin against this ltrun's ltrun.h",
                    path, d->abi_major, d->abi_minor, LT_ABI_MAJOR, LT_ABI_MINOR);
    if (d->abi_minor > LT_ABI_MINOR)
        return fail(err, cap,
                    "%s: built for ABI %u.%u, newer than this ltrun's %d.%d: upgrade ltrun or "
                    "rebuild the plugin against this ltrun's ltrun.h",
                    path, d->abi_major, d->abi_minor, LT_ABI_MAJOR, LT_ABI_MINOR);
    /* Same major: the 1.0 layout is there in full, or the plugin lies about its size. */
    if (d->size < LTR_DESC_V1_SIZE)
        return fail(err, cap, "%s: descriptor %u is too small for ABI %d.x (%u bytes, needs %zu): "
                              "rebuild the plugin against this ltrun's ltrun.h",
                    path, i, LT_ABI_MAJOR, d->size, (size_t)LTR_DESC_V1_SIZE);
    if (!d->name || !*d->name)
        return fail(err, cap, "%s: descriptor %u has no name: declare it with LT_MODULE(name, ...)",
                    path, i);
    if (!valid_name(d->name))
        return fail(err, cap, "%s: descriptor %u has an invalid name '%.64s': use only letters, "
                              "digits, _ and -", path, i, d->name);
    if (!d->version)
        return fail(err, cap, "%s: plugin '%s' has no version string: define LT_PLUGIN_VERSION "
                              "or use the SDK macros", path, d->name);
    if (!d->vtable)
        return fail(err, cap, "%s: plugin '%s' has no hook table (vtable is NULL): declare it "
                              "with the SDK macros", path, d->name);
    uint32_t vt_size = *(const uint32_t *)d->vtable;
    if (vt_size < sizeof(uint32_t))
        return fail(err, cap, "%s: plugin '%s' has no hook table (vtable size %u): declare it "
                              "with the SDK macros", path, d->name, vt_size);
    if (d->kind < LT_KIND_MODULE || d->kind > LT_KIND_STRATEGY)
        return fail(err, cap, "%s: plugin '%s' has an unknown kind %u: rebuild the plugin "
                              "against this ltrun's ltrun.h", path, d->name, d->kind);
    return LT_OK;
}

/* Check the whole list and pick the descriptor of `kind` (into *found). */
static lt_status check_list(const char *path, const lt_descriptor *const *list, uint32_t count,
                            lt_plugin_kind kind, const lt_descriptor **found, char *err,
                            size_t cap) {
    if (!list || count == 0)
        return fail(err, cap, "%s: the entry '%s' returned no plugin descriptors: declare one "
                              "with LT_MODULE(...) / LT_DATAMODULE(...)", path, LT_ENTRY_SYMBOL);
    if (count > LTR_MAX_DESCRIPTORS)
        return fail(err, cap, "%s: the entry claims %u descriptors (at most %u): the plugin is "
                              "broken; rebuild it", path, count, LTR_MAX_DESCRIPTORS);
    for (uint32_t i = 0; i < count; i++)
        if (check_descriptor(path, list[i], i, err, cap) != LT_OK) return LT_ERROR;
    /* Names are unique per kind: a second one could never be picked. */
    for (uint32_t i = 1; i < count; i++)
        for (uint32_t j = 0; j < i; j++)
            if (list[i]->kind == list[j]->kind && !strcmp(list[i]->name, list[j]->name))
                return fail(err, cap, "%s: two %s plugins are named '%s' (descriptors %u and %u): "
                                      "give each its own name", path,
                            ltr_kind_name((lt_plugin_kind)list[i]->kind), list[i]->name, j, i);
    if ((uint32_t)kind == 0) { /* any kind (ltrun plugins) */
        *found = list[0];
        return LT_OK;
    }
    for (uint32_t i = 0; i < count; i++)
        if (list[i]->kind == (uint32_t)kind) {
            *found = list[i];
            return LT_OK;
        }
    const lt_descriptor *d = list[0];
    const char *want = kind_flag(kind), *have = kind_flag((lt_plugin_kind)d->kind);
    if (!want) want = "this option";
    if (have)
        return fail(err, cap, "%s is a %s plugin ('%s'), but %s needs a %s plugin: give it to %s",
                    path, ltr_kind_name((lt_plugin_kind)d->kind), d->name, want,
                    ltr_kind_name(kind), have);
    return fail(err, cap, "%s is a %s plugin ('%s'), but %s needs a %s plugin", path,
                ltr_kind_name((lt_plugin_kind)d->kind), d->name, want, ltr_kind_name(kind));
}

/* A hint for dlopen's complaint, so the user knows which of the usual causes it is. */
static const char *dlopen_hint(const char *why) {
    if (strstr(why, "invalid ELF header") || strstr(why, "file too short") ||
        strstr(why, "not an ELF"))
        return "it is not a shared object: build plugins with -shared -fPIC (see ltrun.h)";
    if (strstr(why, "undefined symbol"))
        return "it needs a symbol nothing provides: plugins reach ltrun only through ctx->api; "
               "link the libraries it uses";
    if (strstr(why, "wrong ELF class") || strstr(why, "ELF file"))
        return "it was built for another architecture: rebuild it here";
    return "check that it is a plugin built for this machine and that the libraries it needs "
           "are installed (ldd)";
}

lt_status ltr_plugin_load(const char *path, lt_plugin_kind kind, ltr_plugin *out, char *err,
                          size_t errcap) {
    if (!out) return fail(err, errcap, "%s: nowhere to put the plugin", path ? path : "(null)");
    memset(out, 0, sizeof *out);
    if (!path || !*path) return fail(err, errcap, "plugin file not found: (empty path)");
    if (!is_file(path)) return fail(err, errcap, "plugin file not found: %s", path);

    /* dlopen treats a name without '/' as a library to search for (LD_LIBRARY_PATH,
     * system dirs), not as the file we just checked: make it a path. */
    size_t len = strlen(path);
    char *open_path = malloc(len + 3);
    if (!open_path) return fail(err, errcap, "%s: out of memory", path);
    snprintf(open_path, len + 3, "%s%s", strchr(path, '/') ? "" : "./", path);
    (void)dlerror(); /* drop any stale message so the one we print is this file's */
    void *h = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
    free(open_path);
    if (!h) {
        const char *d = dlerror();
        char why[512];
        snprintf(why, sizeof why, "%s", d ? d : "unknown reason");
        return fail(err, errcap, "%s: cannot be loaded (%s): %s", path, why,
                    dlopen_hint(why));
    }

    /* POSIX guarantees a function pointer survives the trip through void *; memcpy
     * says so without a type-punning cast. */
    (void)dlerror();
    void *sym = dlsym(h, LT_ENTRY_SYMBOL);
    lt_entry_fn entry = NULL;
    if (sym) memcpy(&entry, &sym, sizeof entry);
    if (!entry) {
        dlclose(h);
        return fail(err, errcap, "%s: no entry symbol '%s': was it built with LT_MODULE(...) / "
                                 "LT_DATAMODULE(...) from ltrun.h?", path, LT_ENTRY_SYMBOL);
    }

    uint32_t count = 0;
    const lt_descriptor *const *list = entry(ltr_host_api(), &count);
    const lt_descriptor *found = NULL;
    if (check_list(path, list, count, kind, &found, err, errcap) != LT_OK) {
        dlclose(h);
        return LT_ERROR;
    }
    out->path = malloc(len + 1);
    if (!out->path) {
        dlclose(h);
        return fail(err, errcap, "%s: out of memory", path);
    }
    memcpy(out->path, path, len + 1);
    out->handle = h;
    out->desc = found;
    return LT_OK;
}

void ltr_plugin_unload(ltr_plugin *p) {
    if (!p) return;
    if (p->handle) dlclose(p->handle);
    free(p->path);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ registry */

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

/* Same file? By inode when both could be stat'ed (./x.so and /abs/x.so are one file),
 * else by the path as written. */
static bool same_file(const ltr_registry_entry *e, const char *path, unsigned long long dev,
                      unsigned long long ino) {
    if ((e->dev || e->ino) && (dev || ino)) return e->dev == dev && e->ino == ino;
    return !strcmp(e->path, path);
}

lt_status ltr_registry_add(ltr_registry *reg, const ltr_plugin *p, char *err, size_t errcap) {
    if (!reg || !p || !p->desc || !p->path)
        return fail(err, errcap, "internal error: registering a plugin that is not loaded");
    const lt_descriptor *d = p->desc;
    struct stat st;
    unsigned long long dev = 0, ino = 0;
    if (stat(p->path, &st) == 0) {
        dev = (unsigned long long)st.st_dev;
        ino = (unsigned long long)st.st_ino;
    }
    for (size_t i = 0; i < reg->n; i++) {
        const ltr_registry_entry *e = &reg->items[i];
        if (e->kind != d->kind || strcmp(e->name, d->name)) continue;
        if (same_file(e, p->path, dev, ino)) return LT_OK; /* the same plugin, seen again */
        return fail(err, errcap, "duplicate plugin name '%s' (%s): %s and %s: remove or rename "
                                 "one of them", d->name, ltr_kind_name((lt_plugin_kind)d->kind),
                    e->path, p->path);
    }
    if (reg->n == reg->cap) {
        size_t ncap = reg->cap ? reg->cap * 2 : 8;
        ltr_registry_entry *items = realloc(reg->items, ncap * sizeof *items);
        if (!items) return fail(err, errcap, "%s: out of memory", p->path);
        reg->items = items;
        reg->cap = ncap;
    }
    ltr_registry_entry e = {.kind = d->kind, .name = dup_str(d->name),
                            .path = dup_str(p->path), .dev = dev, .ino = ino};
    if (!e.name || !e.path) {
        free(e.name);
        free(e.path);
        return fail(err, errcap, "%s: out of memory", p->path);
    }
    reg->items[reg->n++] = e;
    return LT_OK;
}

void ltr_registry_free(ltr_registry *reg) {
    if (!reg) return;
    for (size_t i = 0; i < reg->n; i++) {
        free(reg->items[i].name);
        free(reg->items[i].path);
    }
    free(reg->items);
    memset(reg, 0, sizeof *reg);
}

/* Backends are versioned by their device table: a size or api_version other than this
 * host's means the backend was built against another device.h. */
lt_status ltr_plugin_check_backend(const char *origin, const ltr_backend *b, char *err,
                                   size_t cap) {
    if (!b || !b->device || !b->kernels)
        return fail(err, cap, "%s: backend refused: it has no %s table: fill both the device "
                              "and the kernel table", origin,
                    !b ? "backend" : !b->device ? "device" : "kernel");
    const ltr_device_ops *d = b->device;
    if (d->size != sizeof(ltr_device_ops) || d->api_version != LTR_DEVICE_API_VERSION)
        return fail(err, cap, "%s: backend '%.64s' refused: its device table is version %u "
                              "(%u bytes), this ltrun needs version %u (%zu bytes): rebuild the "
                              "backend against this ltrun's accelerators/device.h", origin,
                    b->name ? b->name : "?", d->api_version, d->size, LTR_DEVICE_API_VERSION,
                    sizeof(ltr_device_ops));
    if (!b->name || !*b->name || !valid_name(b->name) || !d->name || strcmp(d->name, b->name))
        return fail(err, cap, "%s: backend refused: its name '%.64s' is not a valid name "
                              "(letters, digits, _ and -) equal to its device table's '%.64s'",
                    origin, b->name ? b->name : "", d->name ? d->name : "");
    if (!d->alloc || !d->free || !d->copy_h2d || !d->copy_d2h || !d->copy_d2d || !d->memset ||
        !d->synchronize || !d->host_alloc || !d->host_free || !d->stream_create ||
        !d->stream_destroy || !d->event_record || !d->event_wait || !d->set_threads)
        return fail(err, cap, "%s: backend '%s' refused: its device table leaves a member NULL: "
                              "implement every member (no-ops that keep the contract where the "
                              "device has nothing to do)", origin, b->name);
    return LT_OK;
}
