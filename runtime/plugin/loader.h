/*
 * loader.h — finding, opening and checking plugin shared objects.
 *
 * A plugin is opened with dlopen(RTLD_NOW | RTLD_LOCAL) so a missing symbol fails at
 * load time and plugins do not see each other. Only the entry symbol is called before
 * the checks pass; no hook runs until ltr_plugin_load has returned LT_OK.
 * Every error message is one line that names the file and says what to do.
 */
#ifndef LTR_LOADER_H
#define LTR_LOADER_H

#include "ltrun.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

typedef struct ltr_plugin {
    char *path;                /* owned: the file that was opened */
    void *handle;              /* dlopen handle (owned) */
    const lt_descriptor *desc; /* points into the plugin's static data */
} ltr_plugin;

/* Does vtable `vt` (first field uint32_t size) contain member `m` of type T? */
#define LTR_HAS(vt, T, m) \
    ((vt) != NULL && offsetof(T, m) + sizeof(((T *)0)->m) <= *(const uint32_t *)(vt))
/* The hook pointer if present in the plugin's vtable, else NULL. */
#define LTR_HOOK(vt, T, m) (LTR_HAS(vt, T, m) ? ((const T *)(vt))->m : NULL)

const char *ltr_kind_name(lt_plugin_kind kind); /* "module", "datamodule", ... */

/*
 * Turn what the user typed into a file path. Anything containing '/' or ending in
 * ".so" is a path (it must exist). A bare NAME is looked up as NAME.so in each
 * directory of the search path (ltr_plugin_search_dirs below). The current directory
 * is never searched implicitly.
 */
lt_status ltr_plugin_resolve(const char *spec, lt_plugin_kind kind, char *path, size_t cap,
                             char *err, size_t errcap);

/*
 * Open `path`, call its entry, check every descriptor (ABI major equal, minor not
 * newer than the host, head fields sane, vtable size present, no duplicate names)
 * and pick the one of `kind`. On error: nothing stays loaded and err holds the line.
 */
lt_status ltr_plugin_load(const char *path, lt_plugin_kind kind, ltr_plugin *out, char *err,
                          size_t errcap);
void ltr_plugin_unload(ltr_plugin *p);

/* A backend's tables (accelerators/registry.h), checked as a descriptor is: the device
 * table's size and api_version equal to this host's, every member present, a valid
 * name equal to the device's. `origin` (the .so, or "built-in") heads the message. */
struct ltr_backend;
lt_status ltr_plugin_check_backend(const char *origin, const struct ltr_backend *b, char *err,
                                   size_t errcap);
/* The label a loaded callback/logger goes by in messages and checkpoint keys: its name,
 * or "name#k" for the k-th instance of one plugin (twins = earlier ones of that name). */
static inline void ltr_plugin_label(char *label, size_t cap, const char *name, int twins) {
    if (twins) snprintf(label, cap, "%s#%d", name, twins + 1);
    else snprintf(label, cap, "%s", name);
}

/*
 * The plugins of one run, to catch the same kind + name coming from two files (two
 * copies on LT_PLUGIN_PATH, say) before either is used. Zero-initialise it
 * (`ltr_registry reg = {0};`). It keeps its own copies of names and paths, so the
 * plugins may be unloaded before the registry is freed.
 */
typedef struct ltr_registry_entry {
    uint32_t kind;
    char *name;        /* owned copy of desc->name */
    char *path;        /* owned copy of the file's path, for messages */
    unsigned long long dev, ino; /* the file's identity; both 0 if stat failed */
} ltr_registry_entry;

typedef struct ltr_registry {
    ltr_registry_entry *items;
    size_t n, cap;
} ltr_registry;

/* Record p->desc. Adding the same file again is a no-op; the same kind + name from a
 * different file fails with "duplicate plugin name 'x' (kind): A.so and B.so ...". */
lt_status ltr_registry_add(ltr_registry *reg, const ltr_plugin *p, char *err, size_t errcap);
void ltr_registry_free(ltr_registry *reg);

/* discovery (discover.c). The directories searched for a bare NAME, in order:
 * each piece of $LT_PLUGIN_PATH, $XDG_DATA_HOME/ltrun/plugins (default
 * ~/.local/share/ltrun/plugins), then the installed $(pkglibdir)/plugins, or, for a
 * binary run from its build tree, BUILD/plugins and BUILD/examples instead; in each,
 * NAME.so then <kind dir>/NAME.so. Never the current directory implicitly. */
#define LTR_MAX_SEARCH_DIRS 34
int ltr_plugin_search_dirs(char dirs[][1024], int max);
/* The build directory when this executable is that build's ltrun (or one of its test
 * programs), NULL when it runs installed or copied elsewhere. */
const char *ltr_build_tree(void);
const char *ltr_kind_dir(lt_plugin_kind kind); /* "modules", "loggers", ... */
/* `ltrun plugins`: every plugin found on the search path (kind, name, version, ABI,
 * path), shadowed ones and rejected candidates with the reason. Returns the exit status. */
int ltr_plugins_list(FILE *out);

#endif
