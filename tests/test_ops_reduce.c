/* test_ops_reduce.c — reductions (placeholder, filled below) */
#include "check_run.h"
#include "gradcheck.h"
static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }
START_TEST(dummy) { ck_assert_int_eq(1, 1); }
END_TEST
int main(void) {
    Suite *s = suite_create("ops_reduce");
    TCase *tc = tcase_create("reduce");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, dummy);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
