/*
 * cpu_dnnl_matmul.c — bfloat16 GEMM with float32 accumulation through oneDNN's matmul
 * primitive (what PyTorch's CPU bf16 matmul uses). OpenBLAS 0.3.21 as Debian ships it has
 * no cblas_sbgemm; oneDNN runs bf16 on AVX512-BF16 (vdpbf16ps) where the CPU has it and
 * emulates it on plain AVX-512 / AVX2 otherwise.
 *
 * A primitive per (transposes, sizes, leading dimensions, alpha, beta) is built once and
 * kept (training repeats a few shapes); transposes are strides, never copies. alpha is an
 * output scale, beta a sum post-op on C. Freed at exit with the rest of oneDNN's state.
 */
#include "accelerators/cpu/cpu_dnnl.h"

#ifdef HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>

#include <stdlib.h>
#include <string.h>

typedef struct mm_key {
    int64_t ta, tb, m, n, k, lda, ldb, ldc, c_bf16;
    float alpha, beta;
} mm_key;

typedef struct mm_entry {
    mm_key key;
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c;
} mm_entry;

#define MM_CACHE_MAX 64
static struct {
    mm_entry *e[MM_CACHE_MAX];
    int n;
    bool hooked;
} mm;

static void mm_entry_free(mm_entry *e) {
    if (e->prim) dnnl_primitive_destroy(e->prim);
    if (e->a) dnnl_memory_destroy(e->a);
    if (e->b) dnnl_memory_destroy(e->b);
    if (e->c) dnnl_memory_destroy(e->c);
    free(e);
}

static void mm_shutdown(void) {
    for (int i = 0; i < mm.n; i++) mm_entry_free(mm.e[i]);
    mm.n = 0;
}

/* a [rows, cols] matrix stored row-major with leading dimension ld, or transposed */
static bool md_2d(dnnl_memory_desc_t *md, int64_t rows, int64_t cols, int64_t ld, bool trans,
                  dnnl_data_type_t dt) {
    dnnl_dims_t dims = {rows, cols};
    dnnl_dims_t strides = {trans ? 1 : ld, trans ? ld : 1};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, dt, strides) == dnnl_success;
}

static mm_entry *entry_for(const mm_key *k) {
    for (int i = 0; i < mm.n; i++)
        if (!memcmp(&mm.e[i]->key, k, sizeof *k)) return mm.e[i];
    dnnl_engine_t engine = ltr_dnnl_engine();
    if (!engine || mm.n == MM_CACHE_MAX) return NULL;
    mm_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->key = *k;
    dnnl_memory_desc_t a, b, c;
    dnnl_matmul_desc_t d;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL;
    bool ok = md_2d(&a, k->m, k->k, k->lda, k->ta, dnnl_bf16) &&
              md_2d(&b, k->k, k->n, k->ldb, k->tb, dnnl_bf16) &&
              md_2d(&c, k->m, k->n, k->ldc, false, k->c_bf16 ? dnnl_bf16 : dnnl_f32) &&
              dnnl_matmul_desc_init(&d, &a, &b, NULL, &c) == dnnl_success &&
              dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && k->alpha != 1.0f)
        ok = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &k->alpha) == dnnl_success;
    if (ok && k->beta != 0.0f)
        ok = dnnl_post_ops_create(&po) == dnnl_success &&
             dnnl_post_ops_append_sum(po, k->beta) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    ok = ok && dnnl_primitive_desc_create(&pd, &d, attr, engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&e->prim, pd) == dnnl_success &&
         dnnl_memory_create(&e->a, &a, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&e->b, &b, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&e->c, &c, engine, DNNL_MEMORY_NONE) == dnnl_success;
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) {
        mm_entry_free(e);
        return NULL;
    }
    if (!mm.hooked) {
        mm.hooked = true;
        atexit(mm_shutdown); /* registered after oneDNN's engine: runs before its release */
    }
    mm.e[mm.n++] = e;
    return e;
}

bool ltr_dnnl_gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                        const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb, float beta,
                        void *c, bool c_bf16, int64_t ldc) {
    mm_key key = {ta, tb, m, n, k, lda, ldb, ldc, c_bf16, alpha, beta};
    mm_entry *e = entry_for(&key);
    if (!e) return false;
    dnnl_memory_set_data_handle(e->a, (void *)a);
    dnnl_memory_set_data_handle(e->b, (void *)b);
    dnnl_memory_set_data_handle(e->c, c);
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}};
    dnnl_stream_t s = ltr_dnnl_stream();
    if (dnnl_primitive_execute(e->prim, s, 3, args) != dnnl_success) return false;
    dnnl_stream_wait(s);
    return true;
}

#else

bool ltr_dnnl_gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                        const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb, float beta,
                        void *c, bool c_bf16, int64_t ldc) {
    (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)lda, (void)b,
        (void)ldb, (void)beta, (void)c, (void)c_bf16, (void)ldc;
    return false;
}

#endif
