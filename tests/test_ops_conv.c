#include "check_run.h"
#include "gradcheck.h"
START_TEST(dummy) {}
END_TEST
int main(void) {
    Suite *s = suite_create("ops_conv");
    TCase *tc = tcase_create("x");
    tcase_add_test(tc, dummy);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
