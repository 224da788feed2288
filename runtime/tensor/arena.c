/*
 * arena.c — chunked bump allocator; reset rewinds, chunks are kept for reuse.
 *
 * Ownership: the arena owns its chunks (from its device's alloc, freed by
 * ltr_arena_destroy) and its companions;
 * blocks handed out are only borrowed until the next reset. A request larger than the
 * chunk size gets a chunk of its own, inserted after the current one, so a steady-state
 * step that repeats the same sequence of requests finds every chunk already there.
 */
#include "tensor/arena.h"

#include "accelerators/registry.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    unsigned char *mem; /* 64-byte aligned */
} chunk;

struct ltr_arena {
    chunk *first, *cur;
    size_t chunk_bytes, used, high;
    int device;
    const ltr_device_ops *dev;
    void *self;
    ltr_arena *companion[LTR_ARENA_MAX_DEVICES]; /* by device index; NULL = none yet */
};

_Static_assert(LTR_ARENA_MAX_DEVICES == LTR_MAX_BACKENDS, "one companion slot per backend");

ltr_arena *ltr_arena_create_on(size_t chunk_bytes, int device) {
    const ltr_backend *b = ltr_backend_at(device);
    if (!b) return NULL;
    ltr_arena *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->chunk_bytes = chunk_bytes ? chunk_bytes : (size_t)1 << 20;
    a->device = device;
    a->dev = b->device;
    a->self = b->impl;
    return a;
}

ltr_arena *ltr_arena_create(size_t chunk_bytes) { return ltr_arena_create_on(chunk_bytes, 0); }

void ltr_arena_destroy(ltr_arena *a) {
    if (!a) return;
    for (int i = 0; i < LTR_ARENA_MAX_DEVICES; i++) ltr_arena_destroy(a->companion[i]);
    for (chunk *c = a->first, *n; c; c = n) {
        n = c->next;
        a->dev->free(a->self, c->mem);
        free(c);
    }
    free(a);
}

ltr_arena *ltr_arena_on(ltr_arena *a, int device) {
    if (device == a->device) return a;
    if (device < 0 || device >= LTR_ARENA_MAX_DEVICES) return NULL;
    if (!a->companion[device]) a->companion[device] = ltr_arena_create_on(a->chunk_bytes, device);
    return a->companion[device];
}

static chunk *new_chunk(const ltr_arena *a, size_t cap) {
    chunk *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cap = (cap + 63) & ~(size_t)63;
    c->mem = a->dev->alloc(a->self, c->cap);
    if (!c->mem) {
        free(c);
        return NULL;
    }
    return c;
}

void *ltr_arena_alloc(ltr_arena *a, size_t bytes) {
    size_t need = (bytes + 63) & ~(size_t)63;
    if (need == 0) need = 64;
    /* chunks after cur are unused since the last reset: walk forward to one that fits */
    while (a->cur && a->cur->used + need > a->cur->cap) {
        if (!a->cur->next) break;
        a->cur = a->cur->next;
    }
    if (!a->cur || a->cur->used + need > a->cur->cap) {
        chunk *c = new_chunk(a, need > a->chunk_bytes ? need : a->chunk_bytes);
        if (!c) return NULL;
        if (a->cur) {
            c->next = a->cur->next;
            a->cur->next = c;
        } else {
            a->first = c;
        }
        a->cur = c;
    }
    void *p = a->cur->mem + a->cur->used;
    a->cur->used += need;
    a->used += need;
    if (a->used > a->high) a->high = a->used;
    return p;
}

void ltr_arena_reset(ltr_arena *a) {
    for (int i = 0; i < LTR_ARENA_MAX_DEVICES; i++)
        if (a->companion[i]) ltr_arena_reset(a->companion[i]);
    for (chunk *c = a->first; c; c = c->next) c->used = 0;
    a->cur = a->first;
    a->used = 0;
}

static ltr_arena_pos get_pos(const ltr_arena *a) {
    return (ltr_arena_pos){.chunk = a->cur, .chunk_used = a->cur ? a->cur->used : 0, .used = a->used};
}

ltr_arena_mark ltr_arena_get_mark(const ltr_arena *a) {
    ltr_arena_pos p = get_pos(a);
    ltr_arena_mark m = {.chunk = p.chunk, .chunk_used = p.chunk_used, .used = p.used};
    for (int i = 0; i < LTR_ARENA_MAX_DEVICES; i++)
        if (a->companion[i]) m.dev[i] = get_pos(a->companion[i]);
    return m;
}

static void rewind_to(ltr_arena *a, ltr_arena_pos m) {
    chunk *mc = m.chunk;
    if (!mc) { /* marked before the first allocation */
        for (chunk *c = a->first; c; c = c->next) c->used = 0;
        a->cur = a->first;
        a->used = 0;
        return;
    }
    /* chunks after the marked one were unused at the mark (they only fill in order) */
    for (chunk *c = mc->next; c; c = c->next) c->used = 0;
    mc->used = m.chunk_used;
    a->cur = mc;
    a->used = m.used;
}

void ltr_arena_rewind(ltr_arena *a, ltr_arena_mark m) {
    /* a companion made after the mark was empty at it: its zero position resets it */
    for (int i = 0; i < LTR_ARENA_MAX_DEVICES; i++)
        if (a->companion[i]) rewind_to(a->companion[i], m.dev[i]);
    rewind_to(a, (ltr_arena_pos){.chunk = m.chunk, .chunk_used = m.chunk_used, .used = m.used});
}

size_t ltr_arena_used(const ltr_arena *a) { return a->used; }
size_t ltr_arena_high_water(const ltr_arena *a) { return a->high; }
