/*
 * registry.c — the process's backends, by index (a tensor's `device`) and by name.
 *
 * The CPU is not a special case: it is registered on first use by the same function a
 * dlopened backend calls, through runtime/plugin's checks. Backends are never removed,
 * so a pointer from ltr_backend_at stays valid for the process's lifetime.
 */
#include "accelerators/registry.h"

#include "plugin/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ltr_backend backends[LTR_MAX_BACKENDS];
static int nbackends, default_device;

static lt_status add(const ltr_backend *b, const char *origin, int *index, char *err,
                     size_t errcap) {
    if (ltr_plugin_check_backend(origin, b, err, errcap) != LT_OK) return LT_ERROR;
    for (int i = 0; i < nbackends; i++)
        if (!strcmp(backends[i].name, b->name)) {
            snprintf(err, errcap, "%s: a backend named '%s' is registered already: give this "
                                  "one its own name", origin, b->name);
            return LT_ERROR;
        }
    if (nbackends == LTR_MAX_BACKENDS) {
        snprintf(err, errcap, "%s: backend '%s' refused: %d backends are registered already "
                              "(the most one process holds)", origin, b->name, LTR_MAX_BACKENDS);
        return LT_ERROR;
    }
    backends[nbackends] = *b;
    if (index) *index = nbackends;
    nbackends++;
    return LT_OK;
}

/* Index 0 is the CPU's; a CPU table that fails its own checks is a broken build. */
static void ensure_cpu(void) {
    if (nbackends) return;
    char err[512];
    if (add(ltr_cpu_backend(), "built-in", NULL, err, sizeof err) != LT_OK) {
        fprintf(stderr, "ltrun: internal error: %s\n", err);
        abort();
    }
}

lt_status ltr_backend_register(const ltr_backend *b, const char *origin, int *index, char *err,
                               size_t errcap) {
    ensure_cpu();
    return add(b, origin ? origin : "backend", index, err, errcap);
}

int ltr_backend_count(void) {
    ensure_cpu();
    return nbackends;
}

const ltr_backend *ltr_backend_at(int i) {
    ensure_cpu();
    return i >= 0 && i < nbackends ? &backends[i] : NULL;
}

const ltr_backend *ltr_backend_find(const char *name) {
    ensure_cpu();
    for (int i = 0; name && i < nbackends; i++)
        if (!strcmp(backends[i].name, name)) return &backends[i];
    return NULL;
}

const ltr_accel *ltr_kernels_of(const lt_tensor *t) {
    const ltr_backend *b = ltr_backend_at(t->device);
    return b ? b->kernels : NULL;
}

int ltr_backend_default(void) {
    ensure_cpu();
    return default_device;
}

void ltr_backend_set_default(int index) {
    ensure_cpu();
    if (index >= 0 && index < nbackends) default_device = index;
}
