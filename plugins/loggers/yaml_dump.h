/*
 * yaml_dump.h — shared by the logger plugins (header-only, static functions; each
 * plugin is one self-contained .so that reaches nothing but ltrun.h and libc):
 * py_repr (Python repr(float)), py_str (Python str() of a JSON value) and yaml_value, a JSON -> YAML printer in PyYAML's
 * yaml.dump style as Lightning's save_hparams_to_yaml writes hparams.yaml.
 * Moved out of csv.c unchanged (tensorboard/mlflow loggers).
 */
#ifndef LT_LOGGERS_YAML_DUMP_H
#define LT_LOGGERS_YAML_DUMP_H
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python repr(float): shortest round-trip digits; fixed notation for 1e-4 <= |x| < 1e16 */
static void py_repr(double v, char *out, size_t cap) {
    if (isnan(v)) { snprintf(out, cap, "nan"); return; }
    if (isinf(v)) { snprintf(out, cap, v < 0 ? "-inf" : "inf"); return; }
    if (v == 0) { snprintf(out, cap, signbit(v) ? "-0.0" : "0.0"); return; }
    char buf[64];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v) break;
    }
    const char *s = buf;
    bool neg = *s == '-';
    if (neg) s++;
    char digits[32];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    digits[nd] = '\0';
    int e = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = '\0';
    char *o = out;
    size_t room = cap;
#define PUT(...) do { int w_ = snprintf(o, room, __VA_ARGS__); o += w_; room -= (size_t)w_; } while (0)
    if (neg) PUT("-");
    if (e >= -5 && e < 16) {
        if (e < 0) {
            PUT("0.");
            for (int i = 0; i < -e - 1; i++) PUT("0");
            PUT("%s", digits);
        } else {
            for (int i = 0; i <= e; i++) PUT("%c", i < nd ? digits[i] : '0');
            PUT(".");
            if (nd > e + 1) PUT("%s", digits + e + 1);
            else PUT("0");
        }
    } else {
        PUT("%c", digits[0]);
        if (nd > 1) PUT(".%s", digits + 1);
        PUT("e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
#undef PUT
}

/* A small JSON -> YAML printer in PyYAML's yaml.dump style (sorted keys, block style,
 * two-space indent, floats as repr with ".0" before an exponent, strings plain unless
 * they would read back as something else, then single-quoted). JSON is parsed by hand:
 * plugins reach nothing but ltrun.h and libc. */
typedef struct jv { /* a parsed JSON value */
    int type; /* 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null */
    char *str; double num; bool b;
    struct jv *items; char **keys; int n;
} jv;

static const char *skip_ws(const char *p) { while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++; return p; }

static const char *parse_str(const char *p, char **out) {
    size_t cap = strlen(p) + 1, n = 0;
    char *s = malloc(cap);
    p++; /* '"' */
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p++;
            char c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p;
            if (*p == 'u') { c = '?'; p += 4; }
            s[n++] = c;
            p++;
        } else s[n++] = *p++;
    }
    s[n] = '\0';
    *out = s;
    return *p ? p + 1 : p;
}

static const char *parse_jv(const char *p, jv *v) {
    memset(v, 0, sizeof *v);
    p = skip_ws(p);
    if (*p == '{' || *p == '[') {
        bool obj = *p == '{';
        v->type = obj ? 'o' : 'a';
        p = skip_ws(p + 1);
        while (*p && *p != (obj ? '}' : ']')) {
            v->items = realloc(v->items, sizeof(jv) * (size_t)(v->n + 1));
            v->keys = realloc(v->keys, sizeof(char *) * (size_t)(v->n + 1));
            v->keys[v->n] = NULL;
            if (obj) {
                p = parse_str(skip_ws(p), &v->keys[v->n]);
                p = skip_ws(p);
                if (*p == ':') p++;
            }
            p = skip_ws(parse_jv(p, &v->items[v->n]));
            v->n++;
            if (*p == ',') p = skip_ws(p + 1);
        }
        return *p ? p + 1 : p;
    }
    if (*p == '"') { v->type = 's'; return parse_str(p, &v->str); }
    if (!strncmp(p, "true", 4)) { v->type = 'b'; v->b = true; return p + 4; }
    if (!strncmp(p, "false", 5)) { v->type = 'b'; return p + 5; }
    if (!strncmp(p, "null", 4)) { v->type = 'z'; return p + 4; }
    char *end;
    v->type = 'n';
    v->num = strtod(p, &end);
    return end > p ? end : p + 1;
}

static void free_jv(jv *v) {
    for (int i = 0; i < v->n; i++) { free_jv(&v->items[i]); free(v->keys[i]); }
    free(v->items); free(v->keys); free(v->str);
}

static bool plain_ok(const char *s) {
    if (!*s) return false;
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "null",
                                        "~", "True", "False", "Null", "NULL", "Yes", "No"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) if (!strcmp(s, words[i])) return false;
    char *end;
    strtod(s, &end);
    if (*end == '\0') return false; /* would read back as a number */
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0])) return false;
    if (strstr(s, ": ") || strstr(s, " #") || s[strlen(s) - 1] == ' ' || s[strlen(s) - 1] == ':') return false;
    for (const char *c = s; *c; c++) if ((unsigned char)*c < 0x20) return false;
    return true;
}

static void yaml_scalar(FILE *f, const jv *v) {
    char buf[64];
    switch (v->type) {
    case 'b': fputs(v->b ? "true" : "false", f); break;
    case 'z': fputs("null", f); break;
    case 'n':
        if (v->num == floor(v->num) && fabs(v->num) < 1e15) fprintf(f, "%lld", (long long)v->num);
        else {
            py_repr(v->num, buf, sizeof buf);
            char *e = strchr(buf, 'e');
            if (e && !memchr(buf, '.', (size_t)(e - buf))) { /* PyYAML: 1e-05 -> 1.0e-05 */
                fprintf(f, "%.*s.0%s", (int)(e - buf), buf, e);
            } else if (!strcmp(buf, "nan")) fputs(".nan", f);
            else if (!strcmp(buf, "inf")) fputs(".inf", f);
            else if (!strcmp(buf, "-inf")) fputs("-.inf", f);
            else fputs(buf, f);
        }
        break;
    case 's':
        if (plain_ok(v->str)) fputs(v->str, f);
        else {
            fputc('\'', f);
            for (const char *c = v->str; *c; c++) { if (*c == '\'') fputc('\'', f); fputc(*c, f); }
            fputc('\'', f);
        }
        break;
    }
}

static void yaml_block(FILE *f, const jv *v, int indent);

static void yaml_child(FILE *f, const jv *c, int indent) {
    if ((c->type == 'o' || c->type == 'a') && c->n > 0) {
        fputc('\n', f);
        yaml_block(f, c, indent);
    } else if (c->type == 'o') fputs(" {}\n", f);
    else if (c->type == 'a') fputs(" []\n", f);
    else { fputc(' ', f); yaml_scalar(f, c); fputc('\n', f); }
}

static void yaml_block(FILE *f, const jv *v, int indent) {
    if (v->type == 'o') {
        int order[1024], n = v->n < 1024 ? v->n : 1024;
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = 1; i < n; i++) /* sort_keys=True */
            for (int j = i; j > 0 && strcmp(v->keys[order[j - 1]], v->keys[order[j]]) > 0; j--) {
                int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
            }
        for (int i = 0; i < n; i++) {
            const jv *c = &v->items[order[i]];
            fprintf(f, "%*s", indent, "");
            jv k = {.type = 's', .str = v->keys[order[i]]};
            yaml_scalar(f, &k);
            fputc(':', f);
            yaml_child(f, c, indent + 2);
        }
    } else { /* a list: "- item" at the parent's indent, as yaml.dump writes it */
        for (int i = 0; i < v->n; i++) {
            const jv *c = &v->items[i];
            fprintf(f, "%*s-", indent > 2 ? indent - 2 : 0, "");
            yaml_child(f, c, indent);
        }
    }
}

#if defined(__GNUC__)
__attribute__((unused))
#endif
static void yaml_value(FILE *f, const char *text) {
    jv v;
    parse_jv(text, &v);
    if ((v.type == 'o' || v.type == 'a') && v.n == 0) fputs(v.type == 'o' ? "{}\n" : "[]\n", f);
    else if (v.type == 'o' || v.type == 'a') yaml_block(f, &v, 0);
    else { yaml_scalar(f, &v); fputs("\n...\n", f); }
    free_jv(&v);
}
/* Python str() of a JSON value (params are str(v) in MLflow) */
#if defined(__GNUC__)
__attribute__((unused))
#endif
static void py_str(const jv *v, char *out, size_t cap) {
    switch (v->type) {
    case 's': snprintf(out, cap, "%s", v->str); break;
    case 'b': snprintf(out, cap, v->b ? "True" : "False"); break;
    case 'z': snprintf(out, cap, "None"); break;
    case 'n':
        if (v->num == floor(v->num) && fabs(v->num) < 1e15) snprintf(out, cap, "%lld", (long long)v->num);
        else py_repr(v->num, out, cap);
        break;
    case 'a': {
        size_t used = 0;
        used += (size_t)snprintf(out, cap, "[");
        for (int i = 0; i < v->n && used < cap; i++) {
            char item[512];
            py_str(&v->items[i], item, sizeof item);
            if (v->items[i].type == 's')
                used += (size_t)snprintf(out + used, cap - used, "%s'%s'", i ? ", " : "", item);
            else used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", item);
        }
        if (used < cap) snprintf(out + used, cap - used, "]");
        break;
    }
    default: snprintf(out, cap, "{}"); break;
    }
}

#endif
