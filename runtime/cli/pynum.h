/*
 * pynum.h — numbers written on the command line, read as Python's int() and float() read
 * a string (LightningCLI's flags are Python ints and floats).
 *
 * int(): optional whitespace around, an optional sign, decimal digits with single
 * underscores between them ("1_000" is 1000, "007" is 7); no hex or octal ("0x10" raises
 * in int() and float() alike), no fraction or exponent ("1e3" and "3.0" are not ints).
 * float(): the same, with a fraction and an exponent, or inf/infinity/nan in any case.
 */
#ifndef LTR_PYNUM_H
#define LTR_PYNUM_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { LTR_PYNUM_OK = 0, LTR_PYNUM_INVALID, LTR_PYNUM_RANGE } ltr_pynum;

/* int(s) into an int64; LTR_PYNUM_RANGE: a valid Python int outside int64. */
ltr_pynum ltr_py_int(const char *s, int64_t *out);
/* float(s); overflow gives +-inf as Python does (callers that need finite check). */
ltr_pynum ltr_py_float(const char *s, double *out);
/* An int64 as a JSON node that keeps every digit: a number up to 2^53, raw JSON text
 * above (a double would round 9223372036854775807 up to 2^63). */
cJSON *ltr_json_int(int64_t v);
/* The int64 in a JSON node: a number that is an integer within int64, or the raw text
 * ltr_json_int made. LTR_PYNUM_RANGE: an integer out of range (1e300). */
ltr_pynum ltr_json_get_int(const cJSON *v, int64_t *out);
/* The number in a JSON node, a raw big integer included; false for anything else. */
bool ltr_json_get_double(const cJSON *v, double *out);
/* A config number as the user wrote it, for messages that quote it: a raw int64 token as
 * given, an integral value as an integer, any other double as Python's repr prints it
 * (ltr_optim_pyfloat). */
const char *ltr_json_number_text(const cJSON *v, char *buf, size_t cap);
/* Parsed JSON text: integer literals beyond 2^53 become exact raw nodes (as ltr_json_int
 * makes), so a config's 9223372036854775807 is not rounded (and one beyond int64 is
 * reported as written). `text` is what was parsed. */
void ltr_json_exact_ints(cJSON *root, const char *text);
/* Parsed JSON text: a float literal with an integral value (1.0, 2e3) becomes a raw node
 * with its canonical text ("1.0", "2000.0"), as yaml_config.h's loader gives it, so a
 * config's limit 1.0 (a fraction) is not read as 1 (one batch). */
void ltr_json_float_literals(cJSON *root, const char *text);

#endif
