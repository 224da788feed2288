/*
 * test_h5read.c — the checkpoint read helpers (runtime/checkpoint/h5util.c) on values of
 * the wrong shape: a string attribute that is an array of fixed UTF-8 or variable-length
 * strings, a numeric attribute that is a 4096-element array or 2-D, the null dataspace,
 * a string dataset that is an array, and a fixed-length string type larger than what the
 * file stores. Each must come back NULL / LT_ERROR without writing past the one-value
 * buffer (the ASan build reports the overflow otherwise); good values still read.
 */
#include "../check_run.h"
#include "checkpoint/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[256];

static hid_t space(int rank, hsize_t n) {
    hsize_t d[2] = {n, 2};
    return rank < 0 ? H5Screate(H5S_NULL) : rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, d, NULL);
}

/* attribute NAME of OBJ: N fixed strings (size len) or variable-length ones */
static void str_attr(hid_t obj, const char *name, bool vlen, int rank, hsize_t n) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, vlen ? H5T_VARIABLE : 16);
    H5Tset_cset(t, vlen ? H5T_CSET_ASCII : H5T_CSET_UTF8);
    hid_t sp = space(rank, n);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    if (np > 0) {
        void *buf;
        if (vlen) {
            const char **v = malloc((size_t)np * sizeof *v);
            for (hssize_t k = 0; k < np; k++) v[k] = "ltrun-checkpoint";
            buf = v;
        } else {
            char *v = calloc((size_t)np, 16);
            for (hssize_t k = 0; k < np; k++) memcpy(v + 16 * k, "ltrun-checkpoint", 16);
            buf = v;
        }
        ck_assert_int_ge(H5Awrite(a, t, buf), 0);
        free(buf);
    }
    H5Aclose(a), H5Sclose(sp), H5Tclose(t);
}

static void i64_attr(hid_t obj, const char *name, int rank, hsize_t n) {
    hid_t sp = space(rank, n);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    if (np > 0) {
        int64_t *v = malloc((size_t)np * sizeof *v);
        for (hssize_t k = 0; k < np; k++) v[k] = 7;
        ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_INT64, v), 0);
        free(v);
    }
    H5Aclose(a), H5Sclose(sp);
}

START_TEST(attributes_of_the_wrong_shape) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    str_attr(f, "s_ok", false, 0, 1);
    str_attr(f, "s_one", true, 1, 1); /* a simple dataspace of one element is one string */
    str_attr(f, "s_fixed4", false, 1, 4);
    str_attr(f, "s_fixed2048", false, 1, 2048); /* 32 KiB: an attribute holds up to 64 */
    str_attr(f, "s_vlen4", true, 1, 4);
    str_attr(f, "s_2d", false, 2, 2);
    str_attr(f, "s_null", false, -1, 0);
    i64_attr(f, "i_ok", 0, 1);
    i64_attr(f, "i_4096", 1, 4096);
    i64_attr(f, "i_2d", 2, 1);
    i64_attr(f, "i_null", -1, 0);
    H5Fclose(f);

    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *s = ltr_h5_get_str(f, "s_ok");
    ck_assert_str_eq(s, "ltrun-checkpoint");
    free(s);
    s = ltr_h5_get_str(f, "s_one");
    ck_assert_str_eq(s, "ltrun-checkpoint");
    free(s);
    static const char *const bad_s[] = {"s_fixed4", "s_fixed2048", "s_vlen4", "s_2d", "s_null", "i_ok", "absent"};
    for (size_t k = 0; k < sizeof bad_s / sizeof *bad_s; k++) {
        s = ltr_h5_get_str(f, bad_s[k]);
        ck_assert_msg(s == NULL, "%s read as '%s'", bad_s[k], s);
    }
    int64_t v = -1, guard[2] = {11, 11};
    ck_assert_int_eq(ltr_h5_get_i64(f, "i_ok", &v), LT_OK);
    ck_assert_int_eq(v, 7);
    static const char *const bad_i[] = {"i_4096", "i_2d", "i_null", "s_ok", "absent"};
    for (size_t k = 0; k < sizeof bad_i / sizeof *bad_i; k++) {
        ck_assert_msg(ltr_h5_get_i64(f, bad_i[k], &guard[0]) == LT_ERROR, "%s read as an int64", bad_i[k]);
        ck_assert_int_eq(guard[1], 11);
    }
    double d;
    ck_assert_int_eq(ltr_h5_get_f64(f, "i_ok", &d), LT_ERROR); /* an integer is not a float */
    H5Fclose(f);
}
END_TEST

START_TEST(string_datasets_of_the_wrong_shape) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_eq(ltr_h5_write_str(f, "ok", "{\"a\": 1}"), LT_OK);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hsize_t n = 4;
    hid_t sp = H5Screate_simple(1, &n, NULL);
    const char *v[4] = {"{}", "{}", "{}", "{}"};
    hid_t ds = H5Dcreate2(f, "vlen4", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    H5Dclose(ds), H5Tclose(t), H5Sclose(sp);
    /* a 512 MiB fixed-length string type that was never written: nothing stored */
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, (size_t)1 << 29);
    sp = H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_LATE);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    ds = H5Dcreate2(f, "huge", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ck_assert_int_ge(ds, 0);
    H5Dclose(ds), H5Pclose(dcpl), H5Tclose(t), H5Sclose(sp);
    H5Fclose(f);

    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *s = ltr_h5_read_str(f, "ok");
    ck_assert_str_eq(s, "{\"a\": 1}");
    free(s);
    ck_assert_ptr_null(ltr_h5_read_str(f, "vlen4"));
    ck_assert_ptr_null(ltr_h5_read_str(f, "huge"));
    ck_assert_ptr_null(ltr_h5_read_str(f, "absent"));
    H5Fclose(f);
}
END_TEST

int main(void) {
    ltr_h5_init();
    snprintf(path, sizeof path, "%s/ltrun-h5read-%d.h5", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    Suite *s = suite_create("h5read");
    TCase *tc = tcase_create("read helpers");
    tcase_add_test(tc, attributes_of_the_wrong_shape);
    tcase_add_test(tc, string_datasets_of_the_wrong_shape);
    suite_add_tcase(s, tc);
    int rc = ltr_test_run(s);
    unlink(path);
    return rc;
}
