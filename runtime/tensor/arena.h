/*
 * arena.h — per-step bump allocator for intermediate tensors and scratch memory.
 *
 * The trainer resets the arena after every step, so ops never free what they make.
 * Blocks are 64-byte aligned (AVX-512 friendly). Memory is NOT zeroed by
 * ltr_arena_alloc. A reset keeps the chunks for reuse: after the first step, a
 * steady-state training loop allocates nothing from the system.
 *
 * Every arena belongs to one device (accelerators/registry.h) and gets its chunks from
 * that device's alloc. The arena a context holds is the host's (the CPU's, device 0):
 * tensor headers and scratch live there, and it owns one companion arena per other
 * device for tensor data, made on first use and reset, marked and rewound with it.
 */
#ifndef LTR_ARENA_H
#define LTR_ARENA_H

#include <stddef.h>

typedef struct ltr_arena ltr_arena;

/* chunk_bytes: size of each chunk (a larger request gets a chunk of its own). */
ltr_arena *ltr_arena_create(size_t chunk_bytes); /* on the CPU */
ltr_arena *ltr_arena_create_on(size_t chunk_bytes, int device);
void ltr_arena_destroy(ltr_arena *a); /* and its companions */
/* 64-byte aligned, uninitialised; NULL only when the device is out of memory. */
void *ltr_arena_alloc(ltr_arena *a, size_t bytes);
/* The arena for data on `device`: `a` itself if it is on that device, else its companion
 * for it (made here; NULL when out of memory or the device is not registered). */
ltr_arena *ltr_arena_on(ltr_arena *a, int device);
/* Make every block invalid; keep the chunks. */
void ltr_arena_reset(ltr_arena *a);
/* A position in the arena: ltr_arena_rewind(a, m) makes every block handed out after
 * ltr_arena_mark returned m invalid (the chunks stay), as a reset does for all of them.
 * Marks nest like a stack; rewinding to a mark also discards the marks made after it.
 * A mark covers the companions too (ltr_arena_pos: one arena's position). */
typedef struct ltr_arena_pos {
    void *chunk;
    size_t chunk_used, used;
} ltr_arena_pos;
#define LTR_ARENA_MAX_DEVICES 8 /* LTR_MAX_BACKENDS */
typedef struct ltr_arena_mark {
    void *chunk;
    size_t chunk_used, used;
    ltr_arena_pos dev[LTR_ARENA_MAX_DEVICES]; /* companions by device index */
} ltr_arena_mark;
ltr_arena_mark ltr_arena_get_mark(const ltr_arena *a);
void ltr_arena_rewind(ltr_arena *a, ltr_arena_mark m);
/* Bytes handed out since the last reset, and the most ever handed out between resets
 * (this arena's own, companions not counted). */
size_t ltr_arena_used(const ltr_arena *a);
size_t ltr_arena_high_water(const ltr_arena *a);

#endif
