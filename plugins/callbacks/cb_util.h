/*
 * cb_util.h — small helpers shared by the in-tree callback plugins: Python's
 * float repr for messages that print a float as Lightning's f-strings do, and a reader
 * for the flat JSON a plugin gets from lt_hp_json (a list of strings, or an object of
 * numbers). Header-only: each plugin stays one self-contained shared object.
 */
#ifndef LT_CB_UTIL_H
#define LT_CB_UTIL_H

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* repr(float(v)): the shortest "%.Ng" that reads back as v, with ".0" for integers and
 * Python's spellings of inf/nan. */
static inline const char *cb_pyfloat(double v, char *buf, size_t cap) {
    if (isnan(v)) return snprintf(buf, cap, "nan"), buf;
    if (isinf(v)) return snprintf(buf, cap, v < 0 ? "-inf" : "inf"), buf;
    int p = 1;
    for (; p < 17; p++) {
        snprintf(buf, cap, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v) break;
    }
    snprintf(buf, cap, "%.*e", p - 1, v);
    int exp = atoi(strchr(buf, 'e') + 1);
    if (exp >= -4 && exp < 16) { /* float_repr_style 'short': fixed notation here */
        int dec = p - 1 - exp > 0 ? p - 1 - exp : 0;
        snprintf(buf, cap, "%.*f", dec, v);
        if (!strchr(buf, '.') && strlen(buf) + 2 < cap) strcat(buf, ".0");
    }
    return buf;
}

/* Iterate a flat JSON array or object: each call yields the next element's key (objects;
 * "" for arrays) and raw value text. Returns 0 at the end, -1 on a syntax error. Strings
 * come back without quotes (escapes are not decoded: names never need them). */
typedef struct {
    const char *p;
    char open;
} cb_json_iter;

static inline int cb_json_begin(cb_json_iter *it, const char *text) {
    while (text && isspace((unsigned char)*text)) text++;
    if (!text || (*text != '[' && *text != '{')) return -1;
    it->open = *text;
    it->p = text + 1;
    return 0;
}

static inline int cb_json_token(const char **pp, char *out, size_t cap) {
    const char *p = *pp;
    while (isspace((unsigned char)*p)) p++;
    size_t n = 0;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) p++;
            if (n + 1 < cap) out[n++] = *p;
            p++;
        }
        if (*p != '"') return -1;
        p++;
    } else {
        while (*p && !strchr(",]}:", *p) && !isspace((unsigned char)*p)) {
            if (*p == '[' || *p == '{' || *p == '"') return -1; /* nested: not flat */
            if (n + 1 < cap) out[n++] = *p;
            p++;
        }
        if (!n) return -1;
    }
    out[n] = '\0';
    while (isspace((unsigned char)*p)) p++;
    *pp = p;
    return 0;
}

static inline int cb_json_next(cb_json_iter *it, char *key, size_t kcap, char *val,
                               size_t vcap) {
    const char *p = it->p;
    while (isspace((unsigned char)*p)) p++;
    char close = it->open == '[' ? ']' : '}';
    if (*p == close) return 0;
    if (*p == ',') p++;
    key[0] = '\0';
    if (it->open == '{') {
        if (cb_json_token(&p, key, kcap) || *p != ':') return -1;
        p++;
    }
    if (cb_json_token(&p, val, vcap)) return -1;
    if (*p != ',' && *p != close) return -1;
    it->p = p;
    return 1;
}

/* A double as checkpoint-state JSON text: a number, or "inf" / "-inf" / "nan" as strings
 * (JSON has no such numbers); has false gives null (Python's None). */
static inline const char *cb_json_number(double v, bool has, char *buf, size_t cap) {
    if (!has) snprintf(buf, cap, "null");
    else if (isnan(v)) snprintf(buf, cap, "\"nan\"");
    else if (isinf(v)) snprintf(buf, cap, "%s", v < 0 ? "\"-inf\"" : "\"inf\"");
    else snprintf(buf, cap, "%.17g", v);
    return buf;
}

/* the inverse, for JSON text with or without the quotes ("inf" or inf) */
static inline double cb_parse_number(const char *j) {
    if (*j == '"') j++;
    if (!strncmp(j, "nan", 3)) return NAN;
    if (!strncmp(j, "inf", 3)) return INFINITY;
    if (!strncmp(j, "-inf", 4)) return -INFINITY;
    return strtod(j, NULL);
}

#endif
