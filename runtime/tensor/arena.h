/*
 * arena.h — per-step bump allocator for intermediate tensors and scratch memory.
 *
 * The trainer resets the arena after every step, so ops never free what they make.
 * Blocks are 64-byte aligned (AVX-512 friendly). Memory is NOT zeroed by
 * ltr_arena_alloc. A reset keeps the chunks for reuse: after the first step, a
 * steady-state training loop allocates nothing from the system.
 */
#ifndef LTR_ARENA_H
#define LTR_ARENA_H

#include <stddef.h>

typedef struct ltr_arena ltr_arena;

/* chunk_bytes: size of each chunk (a larger request gets a chunk of its own). */
ltr_arena *ltr_arena_create(size_t chunk_bytes);
void ltr_arena_destroy(ltr_arena *a);
/* 64-byte aligned, uninitialised; NULL only when the system is out of memory. */
void *ltr_arena_alloc(ltr_arena *a, size_t bytes);
/* Make every block invalid; keep the chunks. */
void ltr_arena_reset(ltr_arena *a);
/* A position in the arena: ltr_arena_rewind(a, m) makes every block handed out after
 * ltr_arena_mark returned m invalid (the chunks stay), as a reset does for all of them.
 * Marks nest like a stack; rewinding to a mark also discards the marks made after it. */
typedef struct ltr_arena_mark {
    void *chunk;
    size_t chunk_used, used;
} ltr_arena_mark;
ltr_arena_mark ltr_arena_get_mark(const ltr_arena *a);
void ltr_arena_rewind(ltr_arena *a, ltr_arena_mark m);
/* Bytes handed out since the last reset, and the most ever handed out between resets. */
size_t ltr_arena_used(const ltr_arena *a);
size_t ltr_arena_high_water(const ltr_arena *a);

#endif
