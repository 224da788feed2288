/*
 * py_format.h — Python's format(value, spec) for model_checkpoint's filename templates
 * (the format-spec mini-language: [[fill]align][sign][z][#][0][width][,|_][.precision][type]).
 * The spec is parsed here and the C format is built from a whitelist: d for ints (an int
 * also takes the float types, as in Python), e E f F g G % and none for floats. Every
 * other type is refused with Python's message (or "not supported" for the int types
 * b c n o x X, which a filename has no use for). Widths and precisions are bounded at
 * PYF_MAX_DIGITS (Python's bound is sys.maxsize: "Too many decimal digits").
 * Header-only so that tests/test_py_format.c checks the same code the plugin runs.
 */
#ifndef LTR_PY_FORMAT_H
#define LTR_PY_FORMAT_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_util.h"

#define PYF_MAX_DIGITS 1000

typedef struct {
    char fill[5];  /* one UTF-8 character */
    char align;    /* '<' '>' '=' '^' or 0 (numbers: '>') */
    char sign;     /* '+' '-' ' ' or 0 */
    bool z, alt;   /* 'z' (negative zero to zero), '#' */
    int width;     /* -1: none */
    char group;    /* ',' '_' or 0 */
    int prec;      /* -1: none */
    char type;     /* 0: none */
} pyf_spec;

static inline bool pyf_align_char(char c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

/* the byte length of the UTF-8 character at s (1 for anything malformed) */
static inline int pyf_utf8_len(const char *s) {
    unsigned char c = (unsigned char)s[0];
    int n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    for (int i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80) return 1;
    return n;
}

static inline int pyf_digits(const char **pp, int *out, char *err, size_t cap) {
    const char *p = *pp;
    long v = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        if (v > PYF_MAX_DIGITS) {
            snprintf(err, cap, "too many decimal digits in format string (ltrun allows widths "
                               "and precisions up to %d)", PYF_MAX_DIGITS);
            return -1;
        }
    }
    *out = p == *pp ? -1 : (int)v;
    *pp = p;
    return 0;
}

/* Parse spec; 0, or -1 with Python's (or ltrun's) reason in err. tname: the value's
 * Python type for the messages ("int", "float"; NULL: not known yet). */
static inline int pyf_parse(const char *spec, pyf_spec *s, const char *tname, char *err, size_t cap) {
    char of[32] = "";
    if (tname) snprintf(of, sizeof of, " for object of type '%s'", tname);
    memset(s, 0, sizeof *s);
    s->fill[0] = ' ';
    s->width = s->prec = -1;
    const char *p = spec;
    bool fill_given = false;
    int fl = *p ? pyf_utf8_len(p) : 0;
    if (fl && p[fl] && pyf_align_char(p[fl])) {
        memcpy(s->fill, p, (size_t)fl);
        s->fill[fl] = '\0';
        s->align = p[fl];
        fill_given = true;
        p += fl + 1;
    } else if (pyf_align_char(*p)) {
        s->align = *p++;
    }
    if (*p == '+' || *p == '-' || *p == ' ') s->sign = *p++;
    if (*p == 'z') s->z = true, p++;
    if (*p == '#') s->alt = true, p++;
    if (!fill_given && *p == '0') { /* sign-aware zero padding */
        strcpy(s->fill, "0");
        if (!s->align) s->align = '=';
        p++;
    }
    if (pyf_digits(&p, &s->width, err, cap)) return -1;
    if (*p == ',' || *p == '_') {
        s->group = *p++;
        if (*p == ',' || *p == '_') {
            if (*p == s->group) snprintf(err, cap, "Cannot specify '%c' with '%c'.", *p, *p);
            else snprintf(err, cap, "Cannot specify both ',' and '_'.");
            return -1;
        }
    }
    if (*p == '.') {
        p++;
        if (pyf_digits(&p, &s->prec, err, cap)) return -1;
        if (s->prec < 0) {
            snprintf(err, cap, "Format specifier missing precision");
            return -1;
        }
    }
    if (p[0] && p[1]) {
        snprintf(err, cap, "Invalid format specifier '%s'%s", spec, of);
        return -1;
    }
    s->type = *p;
    if (s->type == '{' || s->type == '}' || strchr(spec, '{')) {
        snprintf(err, cap, "nested replacement fields are not supported");
        return -1;
    }
    if (s->group && s->type && !strchr("deEfFgG%", s->type) &&
        !(s->group == '_' && strchr("boxX", s->type))) {
        snprintf(err, cap, "Cannot specify '%c' with '%c'.", s->group, s->type);
        return -1;
    }
    if (s->type && !strchr("deEfFgG%", s->type)) {
        if (strchr("bcnoxX", s->type) && !(tname && !strcmp(tname, "float") && s->type != 'n'))
            snprintf(err, cap, "format code '%c' is not supported in checkpoint filenames (use d, "
                               "e, E, f, F, g, G or %%)", s->type);
        else snprintf(err, cap, "Unknown format code '%c'%s", s->type, of);
        return -1;
    }
    return 0;
}

/* Python's thousands grouping of the n digits at d into out, zero-padded to min_width
 * (CPython's _PyUnicode_InsertThousandsGrouping, grouping 3); returns the length. */
static inline size_t pyf_group(const char *d, size_t n, char sep, long min_width, char *out) {
    char rev[4096];
    size_t k = 0;
    long remaining = (long)n;
    bool use_sep = false;
    for (;;) {
        long l = remaining > min_width ? remaining : min_width;
        if (l < 1) l = 1;
        if (l > 3) l = 3;
        long nchars = remaining < l ? remaining : l, nzeros = l - nchars;
        if (use_sep) rev[k++] = sep;
        for (long i = 0; i < nchars; i++) rev[k++] = d[--remaining];
        for (long i = 0; i < nzeros; i++) rev[k++] = '0';
        use_sep = true;
        min_width -= l;
        if (remaining <= 0 && min_width <= 0) break;
        min_width -= 1;
    }
    for (size_t i = 0; i < k; i++) out[i] = rev[k - 1 - i];
    return k;
}

/* No type with a precision: like 'g' but with a digit after the point, which moves the
 * switch to the exponent form one digit earlier (CPython's format_float_short with
 * Py_DTSF_ADD_DOT_0) */
static inline void pyf_repr_prec(double a, int prec, bool alt, char *body, size_t cap) {
    int p = prec ? prec : 1;
    snprintf(body, cap, "%.*e", p - 1, a);
    int decpt = atoi(strchr(body, 'e') + 1) + 1; /* after rounding to p digits */
    if (decpt <= -4 || decpt > p - 1) {
        snprintf(body, cap, alt ? "%#.*e" : "%.*e", p - 1, a);
        if (alt) return;
        char *e = strchr(body, 'e'), *q = e;
        if (!strchr(body, '.')) return;
        while (q[-1] == '0') q--;
        if (q[-1] == '.') q--;
        memmove(q, e, strlen(e) + 1);
    } else {
        snprintf(body, cap, "%.*f", p - decpt, a);
        if (alt) return;
        size_t n = strlen(body);
        while (n > 2 && body[n - 1] == '0' && body[n - 2] != '.') body[--n] = '\0';
    }
}

/* format(v, spec) into out; is_int: v is a Python int. 0, or -1 with the reason in err. */
static inline int pyf_format(char *out, size_t cap, double v, bool is_int, const char *spec,
                             char *err, size_t errcap) {
    pyf_spec s;
    const char *tname = is_int ? "int" : "float";
    if (pyf_parse(spec, &s, tname, err, errcap)) return -1;
    char type = s.type;
    if (is_int && (type == 0 || type == 'd')) {
        if (s.prec >= 0) {
            snprintf(err, errcap, "Precision not allowed in integer format specifier");
            return -1;
        }
        if (s.z) {
            snprintf(err, errcap, "Negative zero coercion (z) not allowed in integer format specifier");
            return -1;
        }
    } else if (type == 'd') {
        snprintf(err, errcap, "Unknown format code 'd' for object of type '%s'", tname);
        return -1;
    }
    /* the digits of |v| (body), then Python's layout around them */
    char body[2048];
    bool neg = signbit(v) && !isnan(v);
    double a = fabs(v);
    bool pct = false;
    if (is_int && (type == 0 || type == 'd')) {
        snprintf(body, sizeof body, "%.0f", a);
    } else if (type == 0 && s.prec < 0) {
        cb_pyfloat(a, body, sizeof body); /* repr; '#' keeps a point before the exponent */
        char *e = strchr(body, 'e');
        if (s.alt && e && !strchr(body, '.')) memmove(e + 1, e, strlen(e) + 1), *e = '.';
    } else if (type == 0 && isfinite(a)) {
        pyf_repr_prec(a, s.prec, s.alt, body, sizeof body);
    } else {
        char c = type ? type : 'g';
        int prec = s.prec >= 0 ? s.prec : 6;
        if (c == '%') c = 'f', a *= 100, pct = true;
        char fmt[8] = "%";
        size_t fi = 1;
        if (s.alt) fmt[fi++] = '#';
        memcpy(fmt + fi, ".*", 2);
        fmt[fi + 2] = c;
        fmt[fi + 3] = '\0';
        snprintf(body, sizeof body, fmt, prec, a);
        if (pct) strcat(body, "%");
    }
    if (s.z && neg && isfinite(a)) { /* -0.00 -> 0.00 */
        bool zero = true;
        for (const char *q = body; *q && *q != 'e' && *q != 'E'; q++)
            if (*q >= '1' && *q <= '9') zero = false;
        if (zero) neg = false;
    }
    const char *sign = neg ? "-" : s.sign == '+' ? "+" : s.sign == ' ' ? " " : "";
    size_t nd = strspn(body, "0123456789");
    bool finite = isfinite(v);
    char digits[4096];
    size_t dl;
    long width = s.width;
    size_t rest = strlen(body) - nd; /* decimal point, fraction, exponent, '%' */
    bool zero_fill = !strcmp(s.fill, "0") && s.align == '=';
    if (s.group && finite) {
        long min_width = zero_fill ? width - (long)(strlen(sign) + rest) : 0;
        dl = pyf_group(body, nd, s.group, min_width, digits);
    } else {
        memcpy(digits, body, nd);
        dl = nd;
    }
    char num[8192];
    size_t len = (size_t)snprintf(num, sizeof num, "%.*s%s", (int)dl, digits, body + nd);
    size_t total = strlen(sign) + len; /* in characters: the fill is counted once */
    long pad = width > (long)total ? width - (long)total : 0;
    char align = s.align ? s.align : '>';
    long left = align == '<' ? 0 : align == '^' ? pad / 2 : pad, right = pad - left;
    size_t fl = strlen(s.fill), need = strlen(sign) + len + (size_t)pad * fl + 1;
    if (need > cap) {
        snprintf(err, errcap, "the formatted value is too long for a file name");
        return -1;
    }
    char *o = out;
    if (align == '=') {
        o += sprintf(o, "%s", sign);
        for (long i = 0; i < left; i++) o += sprintf(o, "%s", s.fill);
    } else {
        for (long i = 0; i < left; i++) o += sprintf(o, "%s", s.fill);
        o += sprintf(o, "%s", sign);
    }
    memcpy(o, num, len);
    o += len;
    for (long i = 0; i < right; i++) o += sprintf(o, "%s", s.fill);
    *o = '\0';
    return 0;
}

#endif
