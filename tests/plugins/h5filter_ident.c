/* h5filter_ident.c — an HDF5 filter plugin (loaded from HDF5_PLUGIN_PATH) for
 * tests/test_ckpt_hostile.sh: the identity filter 32999 that tests/make_bad_ckpts.c writes
 * with. Loading it appends a line to $LTR_TEST_FILTER_MARK, so a test sees whether HDF5
 * ever opened it. */
#include <H5PLextern.h>
#include <stdio.h>
#include <stdlib.h>

#define TEST_FILTER 32999

static size_t ident(unsigned flags, size_t ncd, const unsigned cd[], size_t nbytes, size_t *size, void **buf) {
    (void)flags, (void)ncd, (void)cd, (void)size, (void)buf;
    return nbytes;
}

static const H5Z_class2_t IDENT = {H5Z_CLASS_T_VERS, TEST_FILTER, 1, 1, "ltrun test identity", NULL, NULL, ident};

__attribute__((constructor)) static void mark_loaded(void) {
    const char *m = getenv("LTR_TEST_FILTER_MARK");
    FILE *f = m ? fopen(m, "a") : NULL;
    if (f) {
        fputs("loaded\n", f);
        fclose(f);
    }
}

__attribute__((visibility("default"))) H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
__attribute__((visibility("default"))) const void *H5PLget_plugin_info(void) { return &IDENT; }
