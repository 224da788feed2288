/*
 * test_predict.c — `ltrun predict`: the HDF5 predictions file, read back with
 * the HDF5 C API and compared with the module's forward, computed here from its fixed
 * weights (tests/plugins/tools_module.c) and the data (tests/plugins/trace_data.c:
 * x_i = [i % 2, 1 - i % 2], y_i = i % 2, 10 samples in batches of 4, 4, 2).
 */
#include "check_run.h"

#include <check.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/ltrun-predict.XXXXXX";

/* Run ltrun with the given arguments; its exit status. Output goes to tmpdir/out.txt. */
static int ltrun(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/ltrun %s > %s/out.txt 2>&1", LTR_TEST_BUILDDIR, args, tmpdir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static bool out_has(const char *needle) {
    char path[512], buf[8192];
    snprintf(path, sizeof path, "%s/out.txt", tmpdir);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

/* forward(x_i)[k] = sum_j W[k][j] x_i[j] + b[k], W[k][j] = 0.5k - 0.25j + 0.125, b[k] = 0.25k - 0.5 */
static double forward(int i, int k) {
    double x[2] = {i % 2, 1 - i % 2};
    double y = 0.25 * k - 0.5;
    for (int j = 0; j < 2; j++) y += (0.5 * k - 0.25 * j + 0.125) * x[j];
    return y;
}

/* Read dataset `name` of `file` as doubles: its dims into dims, count returned. */
static int read_ds(const char *file, const char *name, int *ndim, hsize_t *dims, double *out,
                   int cap) {
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_msg(f >= 0, "cannot open %s", file);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s has no dataset %s", file, name);
    hid_t s = H5Dget_space(d);
    *ndim = H5Sget_simple_extent_ndims(s);
    H5Sget_simple_extent_dims(s, dims, NULL);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    ck_assert_int_le(n, cap);
    ck_assert_int_ge(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), 0);
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    return (int)n;
}

static hid_t stored_type_class(const char *file, const char *name, size_t *size) {
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    H5T_class_t c = H5Tget_class(t);
    *size = H5Tget_size(t);
    H5Tclose(t);
    H5Dclose(d);
    H5Fclose(f);
    return c;
}

#define ARGS(plugin) \
    "predict --module " LTR_TEST_BUILDDIR "/tests/plugins/" plugin " --data " LTR_TEST_BUILDDIR \
    "/tests/plugins/trace_data.so --seed 1 --trainer.enable_progress_bar false"

START_TEST(default_predict_is_forward_of_first_tensor) {
    char args[2048], file[512];
    snprintf(file, sizeof file, "%s/fwd.h5", tmpdir);
    snprintf(args, sizeof args, ARGS("tools_forward.so") " --predictions %s", file);
    ck_assert_int_eq(ltrun(args), 0);
    /* trace_data has a predict split: no fallback note */
    ck_assert(!out_has("predicting over its test dataset"));
    int ndim;
    hsize_t dims[8];
    double v[64];
    ck_assert_int_eq(read_ds(file, "predictions", &ndim, dims, v, 64), 30);
    ck_assert_int_eq(ndim, 2);
    ck_assert_int_eq(dims[0], 10); /* 4 + 4 + 2 rows, concatenated along dim 0 */
    ck_assert_int_eq(dims[1], 3);
    for (int i = 0; i < 10; i++)
        for (int k = 0; k < 3; k++) ck_assert_double_eq(v[i * 3 + k], forward(i, k));
    size_t size;
    ck_assert_int_eq(stored_type_class(file, "predictions", &size), H5T_FLOAT);
    ck_assert_int_eq(size, 4); /* float32, the tensor's dtype */
    /* written through a temp file that is gone afterwards */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/.fwd.h5.ltrun-tmp-* %s/fwd.h5.tmp.*", tmpdir, tmpdir); /* new and old naming */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s > /dev/null 2>&1", tmp);
    ck_assert_int_ne(system(cmd), 0);
}
END_TEST

START_TEST(predict_step_outputs_one_dataset_each) {
    char args[2048], file[512];
    snprintf(file, sizeof file, "%s/step.h5", tmpdir);
    snprintf(args, sizeof args, ARGS("tools_module.so") " --predictions %s", file);
    ck_assert_int_eq(ltrun(args), 0);
    int ndim;
    hsize_t dims[8];
    double v[64];
    ck_assert_int_eq(read_ds(file, "predictions", &ndim, dims, v, 64), 30);
    for (int i = 0; i < 10; i++)
        for (int k = 0; k < 3; k++) ck_assert_double_eq(v[i * 3 + k], 2 * forward(i, k));
    ck_assert_int_eq(read_ds(file, "y", &ndim, dims, v, 64), 10);
    ck_assert_int_eq(ndim, 1);
    for (int i = 0; i < 10; i++) ck_assert_double_eq(v[i], i % 2);
    size_t size;
    ck_assert_int_eq(stored_type_class(file, "y", &size), H5T_INTEGER);
    ck_assert_int_eq(size, 8);
    /* a 0-d output per batch is one row per batch: each batch's x sums to its size */
    ck_assert_int_eq(read_ds(file, "xsum", &ndim, dims, v, 64), 3);
    ck_assert_double_eq(v[0], 4);
    ck_assert_double_eq(v[1], 4);
    ck_assert_double_eq(v[2], 2);
}
END_TEST

/* a --ckpt-path that does not exist is a usage error in every subcommand */
START_TEST(ckpt_path_missing_file) {
    static const char *const cmds[] = {"fit", "validate", "test", "predict"};
    for (int c = 0; c < 4; c++) {
        char args[2048];
        snprintf(args, sizeof args,
                 "%s --module %s/tests/plugins/tools_module.so --data %s/tests/plugins/trace_data.so "
                 "--ckpt-path %s/none.h5 --predictions %s/p.h5 --trainer.enable_progress_bar false",
                 cmds[c], LTR_TEST_BUILDDIR, LTR_TEST_BUILDDIR, tmpdir, tmpdir);
        if (c != 3) *strstr(args, " --predictions") = '\0';
        ck_assert_int_eq(ltrun(args), 2);
        ck_assert_msg(out_has("none.h5: no such file"), "%s", cmds[c]);
    }
    /* nothing was written under the final name */
    char p[600];
    snprintf(p, sizeof p, "%s/p.h5", tmpdir);
    ck_assert_int_ne(access(p, F_OK), 0);
}
END_TEST

START_TEST(predict_falls_back_to_test_split_and_bad_path_fails) {
    char args[2048], file[512];
    /* a data module without a predict split: its test split, said on stderr */
    snprintf(file, sizeof file, "%s/fallback.h5", tmpdir);
    snprintf(args, sizeof args, ARGS("tools_forward.so") " --data.no_predict true --predictions %s",
             file);
    ck_assert_int_eq(ltrun(args), 0);
    ck_assert(out_has("predicting over its test dataset"));
    int ndim;
    hsize_t dims[8];
    double v[64];
    ck_assert_int_eq(read_ds(file, "predictions", &ndim, dims, v, 64), 30);
    /* no folder: a clear error, exit 2 */
    snprintf(args, sizeof args, ARGS("tools_module.so") " --predictions %s/no/such/dir/p.h5", tmpdir);
    ck_assert_int_eq(ltrun(args), 2);
    ck_assert(out_has("cannot create"));
    /* --predictions belongs to predict */
    snprintf(args, sizeof args, "fit --predictions %s/p.h5", tmpdir);
    ck_assert_int_eq(ltrun(args), 2);
    ck_assert(out_has("--predictions is an option of ltrun predict"));
}
END_TEST

int main(void) {
    if (!mkdtemp(tmpdir)) return EXIT_FAILURE;
    Suite *s = suite_create("predict");
    TCase *tc = tcase_create("predict");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, default_predict_is_forward_of_first_tensor);
    tcase_add_test(tc, predict_step_outputs_one_dataset_each);
    tcase_add_test(tc, ckpt_path_missing_file);
    tcase_add_test(tc, predict_falls_back_to_test_split_and_bad_path_fails);
    suite_add_tcase(s, tc);
    int rc = ltr_test_run(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) rc = EXIT_FAILURE;
    return rc;
}
