/* test_registry.c — the backend registry: the CPU at index 0 through the same checks every
 * backend passes, refusals of mismatched or incomplete tables with a clear message, and
 * arenas that take their chunks from the device and rewind their companions. */
#include "accelerators/registry.h"
#include "tensor/arena.h"

#include "gradcheck.h"

#include "check_run.h"

#include <check.h>
#include <string.h>

static char err[512];

START_TEST(cpu_is_index_zero) {
    ck_assert_int_ge(ltr_backend_count(), 1);
    const ltr_backend *b = ltr_backend_at(0);
    ck_assert_str_eq(b->name, "cpu");
    ck_assert_ptr_eq(ltr_backend_find("cpu"), b);
    ck_assert_ptr_eq(b->device, ltr_cpu_device());
    ck_assert_ptr_null(ltr_backend_find("nope"));
    ck_assert_ptr_null(ltr_backend_at(-1));
    lt_tensor t = {.device = 0};
    ck_assert_ptr_eq(ltr_kernels_of(&t), b->kernels);
    t.device = 99;
    ck_assert_ptr_null(ltr_kernels_of(&t));
    ck_assert_int_eq(ltr_backend_default(), 0);
}
END_TEST

static ltr_device_ops dev;
static ltr_backend mk(const char *name) {
    dev = *ltr_cpu_device();
    dev.name = name;
    return (ltr_backend){.name = name, .device = &dev, .kernels = ltr_backend_at(0)->kernels};
}

START_TEST(mismatched_tables_are_refused) {
    int n = ltr_backend_count(), idx = -1;
    ltr_backend b = mk("old");
    dev.api_version = LTR_DEVICE_API_VERSION + 1;
    ck_assert_int_eq(ltr_backend_register(&b, "old.so", &idx, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, "old.so") && strstr(err, "rebuild the backend"), "%s", err);
    b = mk("small");
    dev.size -= 8;
    ck_assert_int_eq(ltr_backend_register(&b, "small.so", &idx, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, "small.so") && strstr(err, "bytes"), "%s", err);
    b = mk("holey");
    dev.memset = NULL;
    ck_assert_int_eq(ltr_backend_register(&b, "holey.so", &idx, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, "NULL"), "%s", err);
    b = mk("cpu");
    ck_assert_int_eq(ltr_backend_register(&b, "dup.so", &idx, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, "registered already"), "%s", err);
    b = mk("bad name");
    ck_assert_int_eq(ltr_backend_register(&b, "name.so", &idx, err, sizeof err), LT_ERROR);
    b = mk("nokernels");
    b.kernels = NULL;
    ck_assert_int_eq(ltr_backend_register(&b, "k.so", &idx, err, sizeof err), LT_ERROR);
    ck_assert_int_eq(ltr_backend_count(), n); /* nothing was added */
    ck_assert_int_eq(idx, -1);
}
END_TEST

/* a second device whose alloc counts: the arena's companion gets its chunks there */
static int allocs, frees;
static void *count_alloc(void *self, size_t n) {
    allocs++;
    return ltr_cpu_device()->alloc(self, n);
}
static void count_free(void *self, void *p) {
    if (p) frees++;
    ltr_cpu_device()->free(self, p);
}

START_TEST(arenas_allocate_through_their_device) {
    static ltr_device_ops cd;
    cd = *ltr_cpu_device();
    cd.name = "counting";
    cd.alloc = count_alloc;
    cd.free = count_free;
    ltr_backend b = {.name = "counting", .device = &cd, .kernels = ltr_backend_at(0)->kernels};
    int idx = -1;
    ck_assert_int_eq(ltr_backend_register(&b, "test", &idx, err, sizeof err), LT_OK);
    ck_assert_int_gt(idx, 0);
    ltr_arena *host = ltr_arena_create(4096);
    ck_assert_ptr_eq(ltr_arena_on(host, 0), host);
    ltr_arena *d = ltr_arena_on(host, idx);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_eq(ltr_arena_on(host, idx), d); /* one companion per device */
    ltr_arena_mark m = ltr_arena_get_mark(host);
    void *p1 = ltr_arena_alloc(d, 100);
    ck_assert_int_eq(allocs, 1);
    ltr_arena_rewind(host, m); /* the companion rewinds with its host arena */
    ck_assert_ptr_eq(ltr_arena_alloc(d, 100), p1);
    ltr_arena_reset(host);
    ck_assert_ptr_eq(ltr_arena_alloc(d, 100), p1);
    ck_assert_int_eq(allocs, 1); /* chunks are reused */
    ltr_arena_destroy(host);
    ck_assert_int_eq(frees, 1);
}
END_TEST

/* a device the host may not read (its memory is host memory, so the test can look): every
 * byte the SDK copies must go through copy_h2d / copy_d2h */
static int h2d, d2h;
static void hidden_h2d(void *self, void *d, const void *s, size_t n) {
    h2d++;
    ltr_cpu_device()->copy_h2d(self, d, s, n);
}
static void hidden_d2h(void *self, void *d, const void *s, size_t n) {
    d2h++;
    ltr_cpu_device()->copy_d2h(self, d, s, n);
}

static void copies_on(int device) {
    test_env e;
    env_init(&e);
    lt_ctx *c = &e.ctx.pub;
    e.ctx.device = device;
    int64_t sh[2] = {2, 3};
    float v[6] = {1, 2, 3, 4, 5, 6}, w[6] = {-1, 0, 1, 2, 100, 1e-3f}, out[6];
    lt_tensor *a = ltr_tensor_from(c, LT_FLOAT32, 2, sh, v), *b = ltr_tensor_from(c, LT_FLOAT32, 2, sh, w);
    ck_assert_int_eq(a->device, device);
    ck_assert_int_eq(ltr_tensor_to_host(c, a, out, sizeof out), LT_OK);
    ck_assert_mem_eq(out, v, sizeof v);
    ck_assert_int_eq(ltr_tensor_to_host(c, a, out, 5), LT_ERROR); /* wrong size: refused */
    ck_assert(ltr_ctx_take_error(&e.ctx, NULL, 0));
    /* torch.lerp_: weight < 0.5 -> a + w (b - a); else b - (b - a)(1 - w) */
    ck_assert_int_eq(ltr_lerp_(c, a, b, 0.25), LT_OK);
    ck_assert_int_eq(ltr_tensor_to_host(c, a, out, sizeof out), LT_OK);
    for (int i = 0; i < 6; i++) ck_assert_float_eq(out[i], v[i] + 0.25f * (w[i] - v[i]));
    ck_assert_int_eq(ltr_lerp_(c, a, b, 1.0), LT_OK); /* exact at the end */
    ck_assert_int_eq(ltr_tensor_to_host(c, a, out, sizeof out), LT_OK);
    ck_assert_mem_eq(out, w, sizeof w);
    /* copy_ from a transposed view, and a refused shape */
    lt_tensor *src = ltr_tensor_from(c, LT_FLOAT32, 2, sh, v);
    lt_tensor view = *src;
    view.shape[0] = 3, view.shape[1] = 2, view.stride[0] = 1, view.stride[1] = 3;
    lt_tensor *dst = ltr_zeros(c, LT_FLOAT32, 2, (int64_t[]){3, 2});
    ck_assert_int_eq(ltr_copy_(c, dst, &view), LT_OK);
    ck_assert_int_eq(ltr_tensor_to_host(c, dst, out, sizeof out), LT_OK);
    float tr[6] = {1, 4, 2, 5, 3, 6};
    ck_assert_mem_eq(out, tr, sizeof tr);
    ck_assert_int_eq(ltr_copy_(c, dst, a), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&e.ctx, NULL, 0));
    /* across devices: through the host */
    e.ctx.device = 0;
    lt_tensor *h = ltr_zeros(c, LT_FLOAT32, 2, sh);
    ck_assert_int_eq(ltr_copy_(c, h, b), LT_OK);
    ck_assert_mem_eq(h->data, w, sizeof w);
    env_free(&e);
}

START_TEST(sdk_copies_on_the_cpu) { copies_on(0); }
END_TEST

START_TEST(sdk_copies_through_a_device_the_host_cannot_read) {
    static ltr_device_ops hd;
    hd = *ltr_cpu_device();
    hd.name = "hidden";
    hd.host_accessible = false;
    hd.copy_h2d = hidden_h2d;
    hd.copy_d2h = hidden_d2h;
    ltr_backend b = {.name = "hidden", .device = &hd, .kernels = ltr_backend_at(0)->kernels};
    int idx = -1;
    ck_assert_int_eq(ltr_backend_register(&b, "test", &idx, err, sizeof err), LT_OK);
    copies_on(idx);
    ck_assert_int_gt(h2d, 0);
    ck_assert_int_gt(d2h, 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, cpu_is_index_zero);
    tcase_add_test(tc, mismatched_tables_are_refused);
    tcase_add_test(tc, arenas_allocate_through_their_device);
    tcase_add_test(tc, sdk_copies_on_the_cpu);
    tcase_add_test(tc, sdk_copies_through_a_device_the_host_cannot_read);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
