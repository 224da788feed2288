/* test_plugin.c — loading good plugins, and one clear error for each broken one. */
#include "plugin/loader.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLUGINS LTR_TEST_BUILDDIR "/tests/plugins/"

static char err[2048];

static void expect_load_error(const char *file, lt_plugin_kind kind, const char *needle) {
    ltr_plugin p;
    ck_assert_int_eq(ltr_plugin_load(file, kind, &p, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, file) != NULL, "error '%s' does not name the file %s", err, file);
    ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
    ck_assert_ptr_null(p.handle);
    ck_assert_ptr_null(strchr(err, '\n')); /* one line */
}

START_TEST(good_plugins_load) {
    ltr_plugin p;
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "good_module.so", LT_KIND_MODULE, &p, err, sizeof err), LT_OK);
    ck_assert_str_eq(p.desc->name, "good");
    ck_assert_int_eq(p.desc->abi_major, LT_ABI_MAJOR);
    ck_assert_ptr_nonnull(LTR_HOOK(p.desc->vtable, lt_module_vtable, create));
    ck_assert_ptr_nonnull(LTR_HOOK(p.desc->vtable, lt_module_vtable, training_step));
    ck_assert_ptr_null(LTR_HOOK(p.desc->vtable, lt_module_vtable, validation_step));
    ltr_plugin_unload(&p);
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "good_data.so", LT_KIND_DATAMODULE, &p, err, sizeof err), LT_OK);
    ck_assert_str_eq(p.desc->name, "gooddata");
    ltr_plugin_unload(&p);
}
END_TEST

/* A plugin built for an older minor has a shorter vtable: what it lacks reads as absent. */
START_TEST(older_minor_loads_with_short_vtable) {
    ltr_plugin p;
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "old_minor.so", LT_KIND_MODULE, &p, err, sizeof err), LT_OK);
    ck_assert(LTR_HAS(p.desc->vtable, lt_module_vtable, destroy));
    ck_assert(!LTR_HAS(p.desc->vtable, lt_module_vtable, forward));
    ck_assert(!LTR_HAS(p.desc->vtable, lt_module_vtable, training_step));
    ltr_plugin_unload(&p);
}
END_TEST

START_TEST(broken_plugins_are_refused) {
    expect_load_error(PLUGINS "missing.so", LT_KIND_MODULE, "plugin file not found");
    expect_load_error(PLUGINS "no_entry.so", LT_KIND_MODULE, "no entry symbol 'ltrun_plugin_entry'");
    expect_load_error(PLUGINS "abi_major.so", LT_KIND_MODULE, "built for ltrun plugin ABI 2.0, this ltrun speaks ABI 1.1");
    expect_load_error(PLUGINS "abi_minor.so", LT_KIND_MODULE, "built for ABI 1.9, newer than this ltrun's 1.1");
    expect_load_error(PLUGINS "dup_names.so", LT_KIND_MODULE, "two module plugins are named 'twin'");
    expect_load_error(PLUGINS "bad_name.so", LT_KIND_MODULE, "no valid name");
    expect_load_error(PLUGINS "no_vtable.so", LT_KIND_MODULE, "no hook table");
    expect_load_error(PLUGINS "good_data.so", LT_KIND_MODULE,
                      "is a datamodule plugin ('gooddata'), but --module needs a module plugin");
    expect_load_error(PLUGINS "good_module.so", LT_KIND_DATAMODULE, "--data needs a datamodule plugin");
}
END_TEST

START_TEST(text_file_is_not_a_shared_object) {
    char path[] = "/tmp/ltrun-notso-XXXXXX.so";
    int fd = mkstemps(path, 3);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_gt(write(fd, "hello\n", 6), 0);
    close(fd);
    expect_load_error(path, LT_KIND_MODULE, "cannot be loaded as a shared object");
    unlink(path);
}
END_TEST

START_TEST(resolve_by_name_and_path) {
    char path[4096];
    setenv("LT_PLUGIN_PATH", "/nonexistent:" LTR_TEST_BUILDDIR "/tests/plugins", 1);
    ck_assert_int_eq(ltr_plugin_resolve("good_module", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_OK);
    ck_assert_str_eq(path, PLUGINS "good_module.so");
    ck_assert_int_eq(ltr_plugin_resolve("nothere", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "no module plugin named 'nothere'"));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent"));
    ck_assert_ptr_nonnull(strstr(err, "LT_PLUGIN_PATH"));
    /* a path is taken as given, and must exist; "." is never searched implicitly */
    ck_assert_int_eq(ltr_plugin_resolve("./nothere.so", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "plugin file not found: ./nothere.so"));
    ck_assert_int_eq(chdir(LTR_TEST_BUILDDIR "/tests/plugins"), 0);
    unsetenv("LT_PLUGIN_PATH");
    ck_assert_int_eq(ltr_plugin_resolve("good_module", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_ERROR);
}
END_TEST

int main(void) {
    Suite *s = suite_create("plugin");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, good_plugins_load);
    tcase_add_test(tc, older_minor_loads_with_short_vtable);
    tcase_add_test(tc, broken_plugins_are_refused);
    tcase_add_test(tc, text_file_is_not_a_shared_object);
    tcase_add_test(tc, resolve_by_name_and_path);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
