/*
 * test_plugin.c — loading good plugins, and one clear error for each broken one.
 *
 * The plugins are built by Makefile.am into LTR_TEST_BUILDDIR/tests/plugins; the broken
 * ones spell their descriptor by hand (tests/plugins/fake_descriptor.h) to fake ABI
 * versions, names and sizes. Every error must be one line that names the file.
 */
#include "core/context.h" /* ltr_host_api */
#include "plugin/loader.h"
#include "util/tmpfile.h"

#include "check_run.h"

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLUGINS LTR_TEST_BUILDDIR "/tests/plugins/"

static char err[2048];

/* Load must fail, leave *out zeroed, and say all of the NULL-terminated needles, the
 * file's name included, in one line. */
static void expect_load_error(const char *file, lt_plugin_kind kind, ...) {
    ltr_plugin p;
    memset(&p, 0xab, sizeof p); /* garbage in: the loader must zero it */
    ck_assert_int_eq(ltr_plugin_load(file, kind, &p, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, file) != NULL, "error '%s' does not name the file %s", err, file);
    va_list ap;
    va_start(ap, kind);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
        ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
    va_end(ap);
    ck_assert_ptr_null(p.handle);
    ck_assert_ptr_null(p.path);
    ck_assert_ptr_null(p.desc);
    ck_assert_ptr_null(strchr(err, '\n')); /* one line */
}

static void expect_err_has(const char *needle) {
    ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

START_TEST(good_plugins_load) {
    ltr_plugin p;
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "good_module.so", LT_KIND_MODULE, &p, err, sizeof err), LT_OK);
    ck_assert_str_eq(p.path, PLUGINS "good_module.so");
    ck_assert_str_eq(p.desc->name, "good");
    ck_assert_int_eq(p.desc->kind, LT_KIND_MODULE);
    ck_assert_int_eq(p.desc->abi_major, LT_ABI_MAJOR);
    ck_assert_ptr_nonnull(LTR_HOOK(p.desc->vtable, lt_module_vtable, create));
    ck_assert_ptr_null(LTR_HOOK(p.desc->vtable, lt_module_vtable, validation_step));
    /* the hook is the plugin's code: good_step ignores its arguments and returns NULL */
    lt_tensor *(*step)(lt_ctx *, void *, lt_batch *, int64_t) =
        LTR_HOOK(p.desc->vtable, lt_module_vtable, training_step);
    ck_assert_ptr_nonnull(step);
    ck_assert_ptr_null(step(NULL, NULL, NULL, 0));

    /* LT_MODULE also exports the name-derived alias, returning the same descriptors */
    lt_entry_fn fixed, alias;
    void *s1 = dlsym(p.handle, LT_ENTRY_SYMBOL), *s2 = dlsym(p.handle, "ltrun_plugin_good_entry");
    ck_assert_ptr_nonnull(s1);
    ck_assert_ptr_nonnull(s2);
    memcpy(&fixed, &s1, sizeof fixed);
    memcpy(&alias, &s2, sizeof alias);
    uint32_t n1 = 0, n2 = 0;
    ck_assert_ptr_eq(fixed(NULL, &n1), alias(NULL, &n2));
    ck_assert_uint_eq(n1, 1);
    ck_assert_uint_eq(n2, 1);
    ltr_plugin_unload(&p);
    ck_assert_ptr_null(p.handle);
    ck_assert_ptr_null(p.path);

    ck_assert_int_eq(ltr_plugin_load(PLUGINS "good_data.so", LT_KIND_DATAMODULE, &p, err, sizeof err), LT_OK);
    ck_assert_str_eq(p.desc->name, "gooddata");
    ck_assert_int_eq(p.desc->kind, LT_KIND_DATAMODULE);
    lt_status (*dataset)(lt_ctx *, void *, lt_split, lt_dataset *) =
        LTR_HOOK(p.desc->vtable, lt_datamodule_vtable, dataset);
    ck_assert_ptr_nonnull(dataset);
    ck_assert_int_eq(dataset(NULL, NULL, LT_SPLIT_TRAIN, NULL), LT_OK);
    ck_assert_ptr_null(LTR_HOOK(p.desc->vtable, lt_datamodule_vtable, get_item));
    ck_assert_ptr_nonnull(dlsym(p.handle, "ltrun_plugin_gooddata_entry"));
    ltr_plugin_unload(&p);
    ltr_plugin_unload(&p); /* unloading twice is harmless */
}
END_TEST

/* A plugin built for an older minor has a shorter vtable: what it lacks reads as absent. */
START_TEST(older_minor_loads_with_short_vtable) {
    ltr_plugin p;
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "old_minor.so", LT_KIND_MODULE, &p, err, sizeof err), LT_OK);
    ck_assert_str_eq(p.desc->name, "old");
    ck_assert(LTR_HAS(p.desc->vtable, lt_module_vtable, create));
    ck_assert(LTR_HAS(p.desc->vtable, lt_module_vtable, destroy));
    ck_assert_ptr_nonnull(LTR_HOOK(p.desc->vtable, lt_module_vtable, create));
    ck_assert(!LTR_HAS(p.desc->vtable, lt_module_vtable, forward));
    ck_assert(!LTR_HAS(p.desc->vtable, lt_module_vtable, training_step));
    ck_assert(!LTR_HAS(p.desc->vtable, lt_module_vtable, on_fit_end));
    ck_assert_ptr_null(LTR_HOOK(p.desc->vtable, lt_module_vtable, training_step));
    ltr_plugin_unload(&p);
}
END_TEST

/* ABI 1.6 only added a host service at the end of lt_host_api: a 1.5 plugin loads as is. */
START_TEST(abi_1_5_plugin_loads) {
    ck_assert_int_ge(LT_ABI_MINOR, 6);
    ltr_plugin p;
    ck_assert_msg(ltr_plugin_load(PLUGINS "abi_1_5.so", LT_KIND_MODULE, &p, err, sizeof err) == LT_OK, "%s", err);
    ck_assert_str_eq(p.desc->name, "minor5");
    ck_assert_int_eq(p.desc->abi_minor, 5);
    ltr_plugin_unload(&p);
}
END_TEST

/* ABI 1.6 tmp_create: an fd on a new file named with ltrun's temporary naming beside the
 * target; a path that does not fit the buffer creates nothing. */
START_TEST(host_tmp_create) {
    const lt_host_api *api = ltr_host_api();
    ck_assert_ptr_nonnull(api->tmp_create);
    char dir[] = "/tmp/ltr_tmp_create_XXXXXX", target[64], path[256], small[16];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(target, sizeof target, "%s/meta.yaml", dir);
    int fd = api->tmp_create(NULL, target, path, sizeof path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "x", 1), 1);
    close(fd);
    ck_assert(!strncmp(path, dir, strlen(dir)) && path[strlen(dir)] == '/');
    long pid = 0;
    ck_assert(ltr_tmp_is_name(path + strlen(dir) + 1, &pid));
    ck_assert_int_eq(pid, (long)getpid());
    ck_assert(!strncmp(path + strlen(dir) + 1, ".meta.yaml" LTR_TMP_TAG, strlen(".meta.yaml" LTR_TMP_TAG)));
    errno = 0;
    ck_assert_int_eq(api->tmp_create(NULL, target, small, sizeof small), -1);
    ck_assert_int_eq(errno, ENAMETOOLONG);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0); /* nothing else was created */
}
END_TEST

START_TEST(broken_plugins_are_refused) {
    char major[160], minor[160];
    snprintf(major, sizeof major, "built for ltrun ABI 2.0, this ltrun speaks ABI %d.%d", LT_ABI_MAJOR,
             LT_ABI_MINOR);
    snprintf(minor, sizeof minor, "built for ABI %d.%d, newer than this ltrun's %d.%d", LT_ABI_MAJOR,
             LT_ABI_MINOR + 1, LT_ABI_MAJOR, LT_ABI_MINOR);
    expect_load_error(PLUGINS "missing.so", LT_KIND_MODULE, "plugin file not found", NULL);
    expect_load_error(PLUGINS "no_entry.so", LT_KIND_MODULE, "no entry symbol 'ltrun_plugin_entry'",
                      "was it built with LT_MODULE(...) / LT_DATAMODULE(...) from ltrun.h?", NULL);
    expect_load_error(PLUGINS "abi_major.so", LT_KIND_MODULE, major,
                      "rebuild the plugin against this ltrun's ltrun.h", NULL);
    expect_load_error(PLUGINS "abi_minor.so", LT_KIND_MODULE, minor, "upgrade ltrun or rebuild", NULL);
    expect_load_error(PLUGINS "dup_names.so", LT_KIND_MODULE, "two module plugins are named 'twin'", NULL);
    expect_load_error(PLUGINS "bad_name.so", LT_KIND_MODULE, "invalid name 'bad name!'",
                      "letters, digits, _ and -", NULL);
    expect_load_error(PLUGINS "small_head.so", LT_KIND_MODULE, "descriptor 0 is too small (8 bytes",
                      "frozen head", NULL);
    expect_load_error(PLUGINS "no_vtable.so", LT_KIND_MODULE, "'novt' has no hook table (vtable size 0)", NULL);
    expect_load_error(PLUGINS "null_vtable.so", LT_KIND_MODULE, "'nullvt' has no hook table (vtable is NULL)", NULL);
    expect_load_error(PLUGINS "no_descriptors.so", LT_KIND_MODULE, "returned no plugin descriptors", NULL);
    expect_load_error(PLUGINS "null_list.so", LT_KIND_MODULE, "returned no plugin descriptors", NULL);
}
END_TEST

START_TEST(wrong_kind_is_refused) {
    expect_load_error(PLUGINS "good_data.so", LT_KIND_MODULE,
                      "is a datamodule plugin ('gooddata'), but --module needs a module plugin",
                      "give it to --data", NULL);
    expect_load_error(PLUGINS "good_module.so", LT_KIND_DATAMODULE,
                      "is a module plugin ('good'), but --data needs a datamodule plugin",
                      "give it to --module", NULL);
    /* the refused load did not leave the file half-open: it still loads as what it is */
    ltr_plugin p;
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "good_module.so", LT_KIND_MODULE, &p, err, sizeof err), LT_OK);
    ltr_plugin_unload(&p);
}
END_TEST

START_TEST(text_file_is_not_a_shared_object) {
    char dir[] = "/tmp/ltrun-notso-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[sizeof dir + 16];
    snprintf(path, sizeof path, "%s/text.so", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is a text file, not a plugin\n", f);
    fclose(f);
    expect_load_error(path, LT_KIND_MODULE, "cannot be loaded (",
                      "not a shared object: build plugins with -shared -fPIC", NULL);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* dlopen("x.so") would search the library path, not ".": the loader must open ./x.so. */
START_TEST(path_without_slash_is_the_file_here) {
    ck_assert_int_eq(chdir(LTR_TEST_BUILDDIR "/tests/plugins"), 0);
    ltr_plugin p;
    ck_assert_int_eq(ltr_plugin_load("good_module.so", LT_KIND_MODULE, &p, err, sizeof err), LT_OK);
    ck_assert_str_eq(p.desc->name, "good");
    ltr_plugin_unload(&p);
}
END_TEST

START_TEST(registry_catches_duplicates_across_files) {
    ltr_registry reg = {0};
    ltr_plugin a, a_again, b, data;
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "good_module.so", LT_KIND_MODULE, &a, err, sizeof err), LT_OK);
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "../plugins/good_module.so", LT_KIND_MODULE, &a_again, err,
                                     sizeof err), LT_OK);
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "good_twin.so", LT_KIND_MODULE, &b, err, sizeof err), LT_OK);
    ck_assert_int_eq(ltr_plugin_load(PLUGINS "good_data.so", LT_KIND_DATAMODULE, &data, err, sizeof err), LT_OK);
    ck_assert_str_eq(b.desc->name, "good");

    ck_assert_int_eq(ltr_registry_add(&reg, &a, err, sizeof err), LT_OK);
    /* the same file, spelled differently, is the same plugin */
    ck_assert_int_eq(ltr_registry_add(&reg, &a_again, err, sizeof err), LT_OK);
    ck_assert_int_eq(ltr_registry_add(&reg, &data, err, sizeof err), LT_OK);
    ck_assert_int_eq(ltr_registry_add(&reg, &b, err, sizeof err), LT_ERROR);
    expect_err_has("duplicate plugin name 'good' (module): " PLUGINS "good_module.so and " PLUGINS
                   "good_twin.so");
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_uint_eq(reg.n, 2);

    /* the registry keeps its own copies: the plugins may go first */
    ltr_plugin_unload(&a);
    ltr_plugin_unload(&a_again);
    ltr_plugin_unload(&b);
    ltr_plugin_unload(&data);
    ck_assert_str_eq(reg.items[0].name, "good");
    ltr_registry_free(&reg);
    ck_assert_uint_eq(reg.n, 0);
}
END_TEST

/* Names are unique per kind: a module and a data module may share one. */
START_TEST(registry_names_are_per_kind) {
    static const lt_module_vtable mvt = {.size = sizeof mvt};
    static const lt_descriptor mod = {1, 0, sizeof mod, LT_KIND_MODULE, "x", "1", "", &mvt};
    static const lt_descriptor dat = {1, 0, sizeof dat, LT_KIND_DATAMODULE, "x", "1", "", &mvt};
    ltr_plugin pm = {.path = "/nonexistent/a/x.so", .desc = &mod};
    ltr_plugin pd = {.path = "/nonexistent/b/x.so", .desc = &dat};
    ltr_plugin pm2 = {.path = "/nonexistent/c/x.so", .desc = &mod};
    ltr_registry reg = {0};
    ck_assert_int_eq(ltr_registry_add(&reg, &pm, err, sizeof err), LT_OK);
    ck_assert_int_eq(ltr_registry_add(&reg, &pd, err, sizeof err), LT_OK);
    ck_assert_int_eq(ltr_registry_add(&reg, &pm, err, sizeof err), LT_OK); /* same path again */
    ck_assert_int_eq(ltr_registry_add(&reg, &pm2, err, sizeof err), LT_ERROR);
    expect_err_has("duplicate plugin name 'x' (module): /nonexistent/a/x.so and /nonexistent/c/x.so");
    ltr_registry_free(&reg);
    ltr_registry_free(&reg); /* freeing twice is harmless */
}
END_TEST

START_TEST(resolve_by_name_and_path) {
    char path[4096];
    /* empty entries are skipped, not taken as "." */
    setenv("LT_PLUGIN_PATH", "::/nonexistent::" LTR_TEST_BUILDDIR "/tests/plugins:", 1);
    ck_assert_int_eq(ltr_plugin_resolve("good_module", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_OK);
    ck_assert_str_eq(path, PLUGINS "good_module.so");

    ck_assert_int_eq(ltr_plugin_resolve("nothere", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_ERROR);
    expect_err_has("no module plugin named 'nothere'");
    expect_err_has("/nonexistent, /nonexistent/modules, " LTR_TEST_BUILDDIR "/tests/plugins, "); /* DIR then DIR/<kind> */
    expect_err_has("/modules"); /* the installed directory for modules, last */
    expect_err_has("--module ./nothere.so");
    expect_err_has("LT_PLUGIN_PATH");
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_int_eq(ltr_plugin_resolve("nothere", LT_KIND_DATAMODULE, path, sizeof path, err, sizeof err), LT_ERROR);
    expect_err_has("no datamodule plugin named 'nothere'");
    expect_err_has("/data");
    expect_err_has("--data ./nothere.so");

    /* a path is taken as given, and must exist */
    ck_assert_int_eq(ltr_plugin_resolve("./nothere.so", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_ERROR);
    expect_err_has("plugin file not found: ./nothere.so");
    ck_assert_int_eq(ltr_plugin_resolve(PLUGINS "good_data.so", LT_KIND_DATAMODULE, path, sizeof path, err,
                                        sizeof err), LT_OK);
    ck_assert_str_eq(path, PLUGINS "good_data.so");

    /* "." is never searched implicitly, only when the user puts it on LT_PLUGIN_PATH */
    ck_assert_int_eq(chdir(LTR_TEST_BUILDDIR "/tests/plugins"), 0);
    unsetenv("LT_PLUGIN_PATH");
    ck_assert_int_eq(ltr_plugin_resolve("good_module", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_ERROR);
    expect_err_has("LT_PLUGIN_PATH is not set");
    setenv("LT_PLUGIN_PATH", ".", 1);
    ck_assert_int_eq(ltr_plugin_resolve("good_module", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_OK);
    ck_assert_str_eq(path, "./good_module.so");
    /* NAME.so is a path (relative to here), not a name to search for */
    unsetenv("LT_PLUGIN_PATH");
    ck_assert_int_eq(ltr_plugin_resolve("good_module.so", LT_KIND_MODULE, path, sizeof path, err, sizeof err), LT_OK);
    ck_assert_str_eq(path, "good_module.so");
}
END_TEST

START_TEST(kind_names) {
    ck_assert_str_eq(ltr_kind_name(LT_KIND_MODULE), "module");
    ck_assert_str_eq(ltr_kind_name(LT_KIND_DATAMODULE), "datamodule");
    ck_assert_str_eq(ltr_kind_name(LT_KIND_CALLBACK), "callback");
    ck_assert_str_eq(ltr_kind_name(LT_KIND_LOGGER), "logger");
    ck_assert_str_eq(ltr_kind_name(LT_KIND_STRATEGY), "strategy");
    ck_assert_str_eq(ltr_kind_name((lt_plugin_kind)99), "unknown");
}
END_TEST

int main(void) {
    Suite *s = suite_create("plugin");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, good_plugins_load);
    tcase_add_test(tc, older_minor_loads_with_short_vtable);
    tcase_add_test(tc, abi_1_5_plugin_loads);
    tcase_add_test(tc, host_tmp_create);
    tcase_add_test(tc, broken_plugins_are_refused);
    tcase_add_test(tc, wrong_kind_is_refused);
    tcase_add_test(tc, text_file_is_not_a_shared_object);
    tcase_add_test(tc, path_without_slash_is_the_file_here);
    tcase_add_test(tc, registry_catches_duplicates_across_files);
    tcase_add_test(tc, registry_names_are_per_kind);
    tcase_add_test(tc, resolve_by_name_and_path);
    tcase_add_test(tc, kind_names);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
