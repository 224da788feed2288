/* test_registry.c — the backend registry: the CPU at index 0 through the same checks every
 * backend passes, refusals of mismatched or incomplete tables with a clear message, and
 * arenas that take their chunks from the device and rewind their companions. */
#include "accelerators/registry.h"
#include "tensor/arena.h"

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

int main(void) {
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, cpu_is_index_zero);
    tcase_add_test(tc, mismatched_tables_are_refused);
    tcase_add_test(tc, arenas_allocate_through_their_device);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
