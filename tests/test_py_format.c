/* test_py_format.c — model_checkpoint's filename fields (plugins/callbacks/py_format.h)
 * against Python's format(value, spec): every expected string and every refusal in
 * py_format_cases.inc is what python3 3.11 printed. Also the bounds: widths and
 * precisions up to 1000 format without overflow, above that a clear refusal, and a
 * buffer too small is an error, never a truncated name. */
#include "../plugins/callbacks/py_format.h"

#include "check_run.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>

#include "py_format_cases.inc"

START_TEST(formats_as_python) {
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char out[4096], err[256] = "";
        int rc = pyf_format(out, sizeof out, good[i].v, good[i].is_int, good[i].spec, err, sizeof err);
        ck_assert_msg(rc == 0, "format(%g, '%s'): refused (%s)", good[i].v, good[i].spec, err);
        ck_assert_msg(!strcmp(out, good[i].want), "format(%g, '%s') = '%s', Python: '%s'",
                      good[i].v, good[i].spec, out, good[i].want);
    }
}
END_TEST

START_TEST(refuses_what_python_refuses) {
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[4096] = "", err[256] = "";
        int rc = pyf_format(out, sizeof out, bad[i].v, bad[i].is_int, bad[i].spec, err, sizeof err);
        ck_assert_msg(rc == -1, "format(%g, '%s') = '%s': should be refused (%s)", bad[i].v,
                      bad[i].spec, out, bad[i].why);
        ck_assert_msg(err[0], "format(%g, '%s'): no reason given", bad[i].v, bad[i].spec);
        /* Python's own words where Python refuses too */
        if (bad[i].why[0] != '(')
            ck_assert_msg(!strcmp(err, bad[i].why), "format(%g, '%s'): '%s', Python: '%s'",
                          bad[i].v, bad[i].spec, err, bad[i].why);
    }
}
END_TEST

START_TEST(bounds) {
    static char out[8192];
    char err[256];
    ck_assert_int_eq(pyf_format(out, sizeof out, 7, true, "1000", err, sizeof err), 0);
    ck_assert_uint_eq(strlen(out), 1000);
    ck_assert_int_eq(pyf_format(out, sizeof out, 1e300, false, "1000,.1000f", err, sizeof err), 0);
    ck_assert_uint_eq(strlen(out), 301 + 100 + 1 + 1000); /* digits, separators, '.', fraction */
    ck_assert_int_eq(pyf_format(out, sizeof out, -1e300, false, "0=1000,.1000%", err, sizeof err), 0);
    ck_assert_int_eq(pyf_format(out, sizeof out, 1, true, "999999999d", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "at most 1000") ? err : strstr(err, "up to 1000"));
    ck_assert_int_eq(pyf_format(out, sizeof out, 1.5, false, ".99999999999999999999f", err, sizeof err), -1);
    ck_assert_int_eq(pyf_format(out, 8, 7, true, "10", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too long"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("py_format");
    TCase *tc = tcase_create("py_format");
    tcase_add_test(tc, formats_as_python);
    tcase_add_test(tc, refuses_what_python_refuses);
    tcase_add_test(tc, bounds);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
