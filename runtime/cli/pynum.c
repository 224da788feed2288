/* pynum.c — Python's int()/float() of a string, and exact int64 in JSON (pynum.h). */
#include "cli/pynum.h"
#include "optim/optimizer.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TWO53 9007199254740992.0
#define TWO63 9223372036854775808.0

/* Python's str.strip() (ASCII) */
static void strip(const char **b, const char **e) {
    while (*b < *e && isspace((unsigned char)**b)) (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1])) (*e)--;
}

/* digitpart: digit (["_"] digit)*, copied into out without the underscores. Returns
 * the end, or NULL when there is no digit there or an underscore is misplaced. */
static const char *digitpart(const char *p, const char *e, char *out, size_t *n, size_t cap) {
    if (p >= e || !isdigit((unsigned char)*p)) return NULL;
    while (p < e) {
        if (isdigit((unsigned char)*p)) {
            if (*n + 1 >= cap) return NULL;
            out[(*n)++] = *p++;
        } else if (*p == '_' && p + 1 < e && isdigit((unsigned char)p[1])) {
            p++;
        } else {
            break;
        }
    }
    return p;
}

ltr_pynum ltr_py_int(const char *s, int64_t *out) {
    const char *b = s, *e = s + strlen(s);
    strip(&b, &e);
    char buf[512];
    size_t n = 0;
    if (b < e && (*b == '+' || *b == '-')) buf[n++] = *b++;
    const char *p = digitpart(b, e, buf, &n, sizeof buf);
    if (!p || p != e) return LTR_PYNUM_INVALID;
    buf[n] = '\0';
    errno = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end) return LTR_PYNUM_INVALID;
    if (errno == ERANGE) return LTR_PYNUM_RANGE;
    *out = (int64_t)v;
    return LTR_PYNUM_OK;
}

ltr_pynum ltr_py_float(const char *s, double *out) {
    const char *b = s, *e = s + strlen(s);
    strip(&b, &e);
    char buf[512];
    size_t n = 0;
    if (b < e && (*b == '+' || *b == '-')) buf[n++] = *b++;
    size_t word = (size_t)(e - b);
    if ((word == 3 && !strncasecmp(b, "inf", 3)) || (word == 8 && !strncasecmp(b, "infinity", 8)) ||
        (word == 3 && !strncasecmp(b, "nan", 3))) {
        double v = tolower((unsigned char)*b) == 'n' ? NAN : INFINITY;
        *out = n && buf[0] == '-' ? -v : v;
        return LTR_PYNUM_OK;
    }
    const char *p = b;
    const char *q = digitpart(p, e, buf, &n, sizeof buf);
    bool digits = q != NULL;
    if (q) p = q;
    if (p < e && *p == '.') {
        if (n + 1 >= sizeof buf) return LTR_PYNUM_INVALID;
        buf[n++] = *p++;
        q = digitpart(p, e, buf, &n, sizeof buf);
        if (q) p = q, digits = true;
    }
    if (!digits) return LTR_PYNUM_INVALID;
    if (p < e && (*p == 'e' || *p == 'E')) {
        if (n + 2 >= sizeof buf) return LTR_PYNUM_INVALID;
        buf[n++] = *p++;
        if (p < e && (*p == '+' || *p == '-')) buf[n++] = *p++;
        q = digitpart(p, e, buf, &n, sizeof buf);
        if (!q) return LTR_PYNUM_INVALID;
        p = q;
    }
    if (p != e) return LTR_PYNUM_INVALID;
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end); /* buf is decimal only: strtod's hex forms never reach it */
    if (*end) return LTR_PYNUM_INVALID;
    *out = v; /* ERANGE: +-inf or a denormal/0, as Python's float() gives */
    return LTR_PYNUM_OK;
}

cJSON *ltr_json_int(int64_t v) {
    if (v >= -(int64_t)TWO53 && v <= (int64_t)TWO53) return cJSON_CreateNumber((double)v);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return cJSON_CreateRaw(buf);
}

ltr_pynum ltr_json_get_int(const cJSON *v, int64_t *out) {
    if (cJSON_IsRaw(v) && v->valuestring) return ltr_py_int(v->valuestring, out);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)) return LTR_PYNUM_INVALID;
    double d = v->valuedouble;
    if (!(d >= -TWO63 && d < TWO63)) return LTR_PYNUM_RANGE; /* the cast would be undefined */
    *out = (int64_t)d;
    return LTR_PYNUM_OK;
}

bool ltr_json_get_double(const cJSON *v, double *out) {
    if (cJSON_IsNumber(v)) *out = v->valuedouble;
    else if (cJSON_IsRaw(v) && v->valuestring) *out = strtod(v->valuestring, NULL);
    else return false;
    return true;
}

const char *ltr_json_number_text(const cJSON *v, char *buf, size_t cap) {
    if (cJSON_IsRaw(v) && v->valuestring) return v->valuestring; /* an exact int64 token */
    double d = v->valuedouble;
    if (d == floor(d) && fabs(d) < 1e17) { /* an integer the user gave: as Python's int prints it */
        snprintf(buf, cap, "%.0f", d);
        return buf;
    }
    return ltr_optim_pyfloat(d, buf, cap);
}

/* The next JSON number token in text after *p (strings skipped), or NULL. */
static const char *next_number(const char **p, size_t *len) {
    const char *s = *p;
    while (*s) {
        if (*s == '"') {
            for (s++; *s && *s != '"'; s++)
                if (*s == '\\' && s[1]) s++;
            if (*s) s++;
        } else if (*s == '-' || isdigit((unsigned char)*s)) {
            const char *start = s;
            while (*s && strchr("+-.eE0123456789", *s)) s++;
            *len = (size_t)(s - start);
            *p = s;
            return start;
        } else {
            s++;
        }
    }
    *p = s;
    return NULL;
}

/* Number nodes in document order are the number tokens in text order: cJSON keeps the
 * order of members and items, and keys are strings. */
static void exact_walk(cJSON *node, const char **p) {
    for (cJSON *it = node; it; it = it->next) {
        if (cJSON_IsNumber(it)) {
            size_t len = 0;
            const char *tok = next_number(p, &len);
            if (!tok || fabs(it->valuedouble) < TWO53 || len >= 64) continue; /* below 2^53: exact */
            char lit[64];
            memcpy(lit, tok, len);
            lit[len] = '\0';
            int64_t v;
            /* out of int64 too: the digits then say what was given ("out of range") */
            if (strpbrk(lit, ".eE") || ltr_py_int(lit, &v) == LTR_PYNUM_INVALID) continue;
            /* keep the number's slot, as raw text with every digit */
            it->type = cJSON_Raw;
            it->valuestring = cJSON_malloc(len + 1);
            if (it->valuestring) memcpy(it->valuestring, lit, len + 1);
            else it->type = cJSON_Number;
        } else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
            exact_walk(it->child, p);
        }
    }
}

void ltr_json_exact_ints(cJSON *root, const char *text) {
    const char *p = text;
    if (root && cJSON_IsNumber(root)) exact_walk(root, &p);
    else if (root) exact_walk(root->child, &p);
}

/* Integral float tokens (with a '.' or an exponent) as raw "N.0" nodes. */
static void float_walk(cJSON *node, const char **p) {
    for (cJSON *it = node; it; it = it->next) {
        if (cJSON_IsNumber(it) || cJSON_IsRaw(it)) { /* raw: exact_walk's big ints */
            size_t len = 0;
            const char *tok = next_number(p, &len);
            double d = it->valuedouble;
            if (!tok || cJSON_IsRaw(it) ||
                (!memchr(tok, '.', len) && !memchr(tok, 'e', len) && !memchr(tok, 'E', len)))
                continue;
            if (d != floor(d) || !isfinite(d)) continue;
            char lit[64];
            if (fabs(d) < 1e16) snprintf(lit, sizeof lit, "%.1f", d);
            else ltr_optim_pyfloat(d, lit, sizeof lit);
            char *copy = cJSON_malloc(strlen(lit) + 1);
            if (!copy) continue;
            strcpy(copy, lit);
            it->type = cJSON_Raw;
            it->valuestring = copy;
        } else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
            float_walk(it->child, p);
        }
    }
}

void ltr_json_float_literals(cJSON *root, const char *text) {
    const char *p = text;
    if (root && (cJSON_IsNumber(root) || cJSON_IsRaw(root))) float_walk(root, &p);
    else if (root) float_walk(root->child, &p);
}
