/* check_run.h — run one check suite; the exit status says whether it passed. */
#ifndef LTR_TEST_CHECK_RUN_H
#define LTR_TEST_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int ltr_test_run(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
