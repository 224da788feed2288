/*
 * arena.c — chunked bump allocator; reset rewinds, chunks are kept for reuse.
 *
 * Ownership: the arena owns its chunks (aligned_alloc'd, freed by ltr_arena_destroy);
 * blocks handed out are only borrowed until the next reset. A request larger than the
 * chunk size gets a chunk of its own, inserted after the current one, so a steady-state
 * step that repeats the same sequence of requests finds every chunk already there.
 */
#include "tensor/arena.h"

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
};

ltr_arena *ltr_arena_create(size_t chunk_bytes) {
    ltr_arena *a = calloc(1, sizeof *a);
    if (a) a->chunk_bytes = chunk_bytes ? chunk_bytes : (size_t)1 << 20;
    return a;
}

void ltr_arena_destroy(ltr_arena *a) {
    if (!a) return;
    for (chunk *c = a->first, *n; c; c = n) {
        n = c->next;
        free(c->mem);
        free(c);
    }
    free(a);
}

static chunk *new_chunk(size_t cap) {
    chunk *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cap = (cap + 63) & ~(size_t)63;
    c->mem = aligned_alloc(64, c->cap);
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
        chunk *c = new_chunk(need > a->chunk_bytes ? need : a->chunk_bytes);
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
    for (chunk *c = a->first; c; c = c->next) c->used = 0;
    a->cur = a->first;
    a->used = 0;
}

ltr_arena_mark ltr_arena_get_mark(const ltr_arena *a) {
    return (ltr_arena_mark){.chunk = a->cur, .chunk_used = a->cur ? a->cur->used : 0, .used = a->used};
}

void ltr_arena_rewind(ltr_arena *a, ltr_arena_mark m) {
    chunk *mc = m.chunk;
    if (!mc) { /* marked before the first allocation */
        ltr_arena_reset(a);
        return;
    }
    /* chunks after the marked one were unused at the mark (they only fill in order) */
    for (chunk *c = mc->next; c; c = c->next) c->used = 0;
    mc->used = m.chunk_used;
    a->cur = mc;
    a->used = m.used;
}

size_t ltr_arena_used(const ltr_arena *a) { return a->used; }
size_t ltr_arena_high_water(const ltr_arena *a) { return a->high; }
