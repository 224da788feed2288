/* test_pynum.c — the command line's numbers read as Python's int() and float() read a
 * string (each expectation is what CPython 3 gives), and int64 kept exact through JSON. */
#include "cli/pynum.h"

#include "check_run.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(int_as_python) {
    static const struct { const char *text; ltr_pynum r; int64_t v; } cases[] = {
        {"10", LTR_PYNUM_OK, 10}, {"+10", LTR_PYNUM_OK, 10}, {"-10", LTR_PYNUM_OK, -10},
        {" 7\n", LTR_PYNUM_OK, 7}, {"010", LTR_PYNUM_OK, 10}, {"00", LTR_PYNUM_OK, 0},
        {"1_000", LTR_PYNUM_OK, 1000}, {"1_0_0", LTR_PYNUM_OK, 100},
        {"9223372036854775807", LTR_PYNUM_OK, INT64_MAX},
        {"-9223372036854775808", LTR_PYNUM_OK, INT64_MIN},
        {"9223372036854775808", LTR_PYNUM_RANGE, 0}, {"-9223372036854775809", LTR_PYNUM_RANGE, 0},
        {"99999999999999999999999", LTR_PYNUM_RANGE, 0},
        /* int() raises ValueError */
        {"", LTR_PYNUM_INVALID, 0}, {" ", LTR_PYNUM_INVALID, 0}, {"0x10", LTR_PYNUM_INVALID, 0},
        {"0o10", LTR_PYNUM_INVALID, 0}, {"0b1", LTR_PYNUM_INVALID, 0}, {"1e3", LTR_PYNUM_INVALID, 0},
        {"3.0", LTR_PYNUM_INVALID, 0}, {"_1", LTR_PYNUM_INVALID, 0}, {"1_", LTR_PYNUM_INVALID, 0},
        {"1__0", LTR_PYNUM_INVALID, 0}, {"+-1", LTR_PYNUM_INVALID, 0}, {"- 1", LTR_PYNUM_INVALID, 0},
        {"1 2", LTR_PYNUM_INVALID, 0}, {"inf", LTR_PYNUM_INVALID, 0}, {"+", LTR_PYNUM_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t v = 0;
        ltr_pynum r = ltr_py_int(cases[i].text, &v);
        ck_assert_msg(r == cases[i].r, "int('%s'): got %d, expected %d", cases[i].text, r, cases[i].r);
        if (r == LTR_PYNUM_OK) ck_assert_int_eq(v, cases[i].v);
    }
}
END_TEST

START_TEST(float_as_python) {
    static const struct { const char *text; bool ok; double v; } cases[] = {
        {"0.5", true, 0.5}, {".5", true, 0.5}, {"5.", true, 5.0}, {"1e-1", true, 0.1},
        {"1E+2", true, 100}, {"-2.5", true, -2.5}, {" 1.0 ", true, 1.0}, {"1_0.2_5", true, 10.25},
        {"1e1_0", true, 1e10}, {"10", true, 10}, {"1e400", true, INFINITY}, {"inf", true, INFINITY},
        {"-Infinity", true, -INFINITY}, {"iNF", true, INFINITY},
        /* float() raises ValueError */
        {"0x10", false, 0}, {"0x1p-1", false, 0}, {"", false, 0}, {".", false, 0}, {"e5", false, 0},
        {"1e", false, 0}, {"1e_5", false, 0}, {"1_.5", false, 0}, {"1._5", false, 0},
        {"1..2", false, 0}, {"infinit", false, 0}, {"nan1", false, 0}, {"1,5", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double v = 0;
        ltr_pynum r = ltr_py_float(cases[i].text, &v);
        ck_assert_msg((r == LTR_PYNUM_OK) == cases[i].ok, "float('%s'): got %d", cases[i].text, r);
        if (cases[i].ok) ck_assert_msg(v == cases[i].v, "float('%s') = %g", cases[i].text, v);
    }
    double v = 0;
    ck_assert_int_eq(ltr_py_float("nan", &v), LTR_PYNUM_OK);
    ck_assert(isnan(v));
}
END_TEST

START_TEST(int64_exact_through_json) {
    const char *text = "{\"a\": 9223372036854775807, \"b\": [1, -9223372036854775808, \"9\", 2.5e30],"
                       " \"c\": 9007199254740993, \"d\": 12, \"e\": 1e300, \"f\": 99999999999999999999}";
    cJSON *j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    ltr_json_exact_ints(j, text);
    int64_t v;
    ck_assert_int_eq(ltr_json_get_int(cJSON_GetObjectItem(j, "a"), &v), LTR_PYNUM_OK);
    ck_assert_int_eq(v, INT64_MAX);
    ck_assert_int_eq(ltr_json_get_int(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "b"), 1), &v), LTR_PYNUM_OK);
    ck_assert_int_eq(v, INT64_MIN);
    ck_assert(cJSON_IsNumber(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "b"), 3))); /* a float stays */
    ck_assert_int_eq(ltr_json_get_int(cJSON_GetObjectItem(j, "c"), &v), LTR_PYNUM_OK);
    ck_assert_int_eq(v, 9007199254740993); /* a double would give ...992 */
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "d")));
    ck_assert_int_eq(ltr_json_get_int(cJSON_GetObjectItem(j, "e"), &v), LTR_PYNUM_RANGE);
    ck_assert_int_eq(ltr_json_get_int(cJSON_GetObjectItem(j, "f"), &v), LTR_PYNUM_RANGE);
    char *out = cJSON_PrintUnformatted(j);
    ck_assert_ptr_nonnull(strstr(out, "\"a\":9223372036854775807"));
    ck_assert_ptr_nonnull(strstr(out, "-9223372036854775808"));
    ck_assert_ptr_nonnull(strstr(out, "\"f\":99999999999999999999"));
    cJSON_free(out);
    cJSON *dup = cJSON_Duplicate(j, true); /* raw nodes copy and free like the rest */
    cJSON_Delete(dup);
    cJSON_Delete(j);
    cJSON *n = ltr_json_int(INT64_MAX);
    ck_assert(cJSON_IsRaw(n));
    cJSON_Delete(n);
    n = ltr_json_int(42);
    ck_assert(cJSON_IsNumber(n));
    cJSON_Delete(n);
    char buf[64];
    cJSON *big = cJSON_CreateNumber(1e300), *tenth = cJSON_CreateNumber(0.1), *raw = cJSON_CreateRaw("9223372036854775808");
    ck_assert_str_eq(ltr_json_number_text(big, buf, sizeof buf), "1e+300"); /* Python's repr */
    ck_assert_str_eq(ltr_json_number_text(tenth, buf, sizeof buf), "0.1");
    ck_assert_str_eq(ltr_json_number_text(raw, buf, sizeof buf), "9223372036854775808"); /* as given */
    cJSON_Delete(big);
    cJSON_Delete(tenth);
    cJSON_Delete(raw);
}
END_TEST

int main(void) {
    Suite *s = suite_create("pynum");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, int_as_python);
    tcase_add_test(tc, float_as_python);
    tcase_add_test(tc, int64_exact_through_json);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
