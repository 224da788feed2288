/* yaml_config.c — YAML text -> cJSON tree, as jsonargparse's yaml loader reads a config
 * (yaml_config.h says which rules). Events from libyaml's parser build the tree; plain
 * scalars are resolved here, as PyYAML's resolver does. */
#include "cli/yaml_config.h"

#include "cli/pynum.h"
#include "optim/optimizer.h" /* ltr_optim_pyfloat: Python's repr of a float */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static bool one_of(const char *s, const char *const *list) {
    for (; *list; list++)
        if (!strcmp(s, *list)) return true;
    return false;
}

/* text without its underscores (PyYAML drops them before converting) */
static void strip_underscores(const char *s, char *out, size_t cap) {
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (*s != '_') out[n++] = *s;
    out[n] = '\0';
}

static bool all_of(const char *s, const char *set) { return *s && strspn(s, set) == strlen(s); }

/* sexagesimal parts "1:30:15" (after the first part, each 0-59): true when s is one */
static bool base60(const char *s, bool allow_fraction, double *out) {
    double v = 0;
    const char *p = s;
    bool first = true;
    while (*p) {
        const char *q = p;
        while (isdigit((unsigned char)*q) || *q == '_') q++;
        if (q == p) return false;
        char part[64];
        if ((size_t)(q - p) >= sizeof part) return false;
        memcpy(part, p, (size_t)(q - p));
        part[q - p] = '\0';
        char digits[64];
        strip_underscores(part, digits, sizeof digits);
        double d = strtod(digits, NULL);
        if (!first && (strlen(part) > 2 || d > 59)) return false;
        if (*q == '.' && allow_fraction && !first) { /* the fraction of the last part */
            const char *f = q + 1;
            if (strspn(f, "0123456789_") != strlen(f)) return false;
            char frac[64] = "0.";
            strip_underscores(f, frac + 2, sizeof frac - 2);
            v = v * 60 + d + strtod(frac, NULL);
            *out = v;
            return true;
        }
        v = v * 60 + d;
        first = false;
        if (*q == ':') p = q + 1;
        else if (*q == '\0') p = q;
        else return false;
        if (*q == ':' && !*p) return false;
    }
    if (first || allow_fraction) return false; /* an int needs a ':', a float a '.' */
    *out = v;
    return true;
}

/* PyYAML's int resolver: [-+]?0b[01_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) |
 * [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+ */
static cJSON *resolve_int(const char *s) {
    bool neg = *s == '-';
    const char *b = s + (*s == '-' || *s == '+');
    int base = 0;
    const char *digits = NULL;
    if (b[0] == '0' && b[1] == 'b' && all_of(b + 2, "01_")) base = 2, digits = b + 2;
    else if (b[0] == '0' && b[1] == 'x' && all_of(b + 2, "0123456789abcdefABCDEF_")) base = 16, digits = b + 2;
    else if (!strcmp(b, "0")) base = 10, digits = b;
    else if (b[0] == '0' && all_of(b + 1, "01234567_")) base = 8, digits = b + 1;
    else if (b[0] >= '1' && b[0] <= '9' && all_of(b, "0123456789_")) base = 10, digits = b;
    if (!base) {
        double v;
        if (b[0] >= '1' && b[0] <= '9' && strchr(b, ':') && base60(b, false, &v) && v < 9007199254740992.0)
            return cJSON_CreateNumber(neg ? -v : v);
        return NULL;
    }
    char clean[128];
    if (strlen(digits) >= sizeof clean) return NULL;
    strip_underscores(digits, clean, sizeof clean);
    if (!clean[0]) return NULL;
    errno = 0;
    unsigned long long u = strtoull(clean, NULL, base);
    if (errno == ERANGE || u > (unsigned long long)INT64_MAX + (neg ? 1u : 0u)) {
        if (base != 10) return NULL; /* beyond int64: left as text */
        /* Python's int has no bound: keep the digits for the "out of range" message */
        char raw[132];
        snprintf(raw, sizeof raw, "%s%s", neg ? "-" : "", clean);
        return cJSON_CreateRaw(raw);
    }
    int64_t v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return ltr_json_int(v);
}

/* the float text as a node: an integral value as raw "N.0" (a float, not an int) */
static cJSON *float_node(double d) {
    if (isnan(d)) return cJSON_CreateRaw("nan");
    if (isinf(d)) return cJSON_CreateRaw(d > 0 ? "inf" : "-inf");
    if (d != floor(d)) return cJSON_CreateNumber(d);
    char buf[64];
    if (fabs(d) < 1e16) snprintf(buf, sizeof buf, "%.1f", d);
    else ltr_optim_pyfloat(d, buf, sizeof buf); /* 1e+16: valid JSON, a float to Python */
    return cJSON_CreateRaw(buf);
}

/* decimal digits with underscores, at least one digit first (PyYAML's [0-9][0-9_]*) */
static const char *digits_run(const char *p) {
    if (!isdigit((unsigned char)*p)) return NULL;
    while (isdigit((unsigned char)*p) || *p == '_') p++;
    return p;
}

/* exponent [eE][-+]?[0-9]+ (sign_required: the "\.[0-9_]+" form's [eE][-+][0-9]+) */
static const char *exponent(const char *p, bool sign_required) {
    if (*p != 'e' && *p != 'E') return p;
    p++;
    if (*p == '-' || *p == '+') p++;
    else if (sign_required) return NULL;
    if (!isdigit((unsigned char)*p)) return NULL;
    while (isdigit((unsigned char)*p)) p++;
    return p;
}

/* jsonargparse's float resolver (yaml_config.h) */
static cJSON *resolve_float(const char *s) {
    static const char *const inf[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nan[] = {".nan", ".NaN", ".NAN", NULL};
    if (one_of(s, nan)) return float_node(NAN);
    const char *b = s + (*s == '-' || *s == '+');
    bool neg = *s == '-';
    if (one_of(b, inf)) return float_node(neg ? -INFINITY : INFINITY);
    const char *p = NULL;
    if (b == s && b[0] == '.') { /* \.[0-9_]+([eE][-+][0-9]+)? */
        const char *q = b + 1;
        if (!isdigit((unsigned char)*q) && *q != '_') return NULL;
        while (isdigit((unsigned char)*q) || *q == '_') q++;
        p = exponent(q, true);
    } else if ((p = digits_run(b))) {
        if (*p == '.') { /* [0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)? */
            p++;
            while (isdigit((unsigned char)*p) || *p == '_') p++;
            p = exponent(p, false);
        } else if (*p == 'e' || *p == 'E') { /* [0-9][0-9_]*[eE][-+]?[0-9]+ */
            p = exponent(p, false);
        } else if (*p == ':') { /* sexagesimal with a fraction */
            double v;
            return base60(b, true, &v) ? float_node(neg ? -v : v) : NULL;
        } else {
            return NULL;
        }
    }
    if (!p || *p) return NULL;
    char clean[400];
    if (strlen(s) >= sizeof clean) return NULL;
    strip_underscores(s, clean, sizeof clean);
    return float_node(strtod(clean, NULL));
}

cJSON *ltr_yaml_plain_scalar(const char *s) {
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"yes", "Yes", "YES", "true", "True", "TRUE",
                                        "on", "On", "ON", NULL};
    static const char *const falses[] = {"no", "No", "NO", "false", "False", "FALSE",
                                         "off", "Off", "OFF", NULL};
    if (one_of(s, nulls)) return cJSON_CreateNull();
    if (one_of(s, trues)) return cJSON_CreateTrue();
    if (one_of(s, falses)) return cJSON_CreateFalse();
    cJSON *v = resolve_int(s); /* jsonargparse re-adds the float resolver after int's */
    if (!v) v = resolve_float(s);
    return v ? v : cJSON_CreateString(s);
}

/* ---- the document: events -> tree ---- */

typedef struct {
    yaml_parser_t parser;
    const char *file;
    char *err;
    size_t cap;
    bool failed;
    struct anchor { char *name; cJSON *node; } *anchors;
    size_t nanchors;
    /* config_origin.h: dotted path -> line of its key (NULL: not asked for); path is
     * the dotted path of the node being loaded */
    cJSON *lines;
    char path[1024];
} loader;

/* path.key as the node's path while its value loads; returns the old length to
 * restore (a path too long for the buffer records nothing below it) */
static size_t path_push(loader *l, const char *key, size_t line) {
    size_t old = strlen(l->path);
    int n = snprintf(l->path + old, sizeof l->path - old, "%s%s", old ? "." : "", key);
    if (n < 0 || (size_t)n >= sizeof l->path - old) {
        l->path[old] = '\0';
        return old;
    }
    if (l->lines && line) {
        cJSON_DeleteItemFromObjectCaseSensitive(l->lines, l->path); /* the last one wins */
        cJSON_AddNumberToObject(l->lines, l->path, (double)line);
    }
    return old;
}

static void fail_at(loader *l, yaml_mark_t mark, const char *fmt, ...) {
    if (l->failed) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(l->err, l->cap, "--config %s, line %zu, column %zu: %s", l->file, mark.line + 1,
             mark.column + 1, msg);
    l->failed = true;
}

/* libyaml's own error, with its line and column (PyYAML prints the same marks) */
static void parser_error(loader *l) {
    yaml_parser_t *p = &l->parser;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_READER_ERROR) {
        snprintf(l->err, l->cap, "--config %s: byte %zu: %s (YAML text must be UTF-8)", l->file,
                 p->problem_offset, problem);
        l->failed = true;
    } else if (p->context) {
        fail_at(l, p->problem_mark, "%s (%s, from line %zu, column %zu); not valid YAML", problem,
                p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    } else {
        fail_at(l, p->problem_mark, "%s; not valid YAML", problem);
    }
}

static bool next_event(loader *l, yaml_event_t *ev) {
    if (yaml_parser_parse(&l->parser, ev)) return true;
    parser_error(l);
    return false;
}

static void remember_anchor(loader *l, const yaml_char_t *name, cJSON *node) {
    if (!name || !node) return;
    struct anchor *grown = realloc(l->anchors, (l->nanchors + 1) * sizeof *grown);
    if (!grown) return;
    l->anchors = grown;
    l->anchors[l->nanchors].name = strdup((const char *)name);
    l->anchors[l->nanchors++].node = node;
}

/* explicit tags of the safe schema (a !!python/... tag is refused, as SafeLoader does) */
static cJSON *tagged_scalar(loader *l, const yaml_event_t *ev, const char *tag, const char *text) {
    const char *name = strncmp(tag, "tag:yaml.org,2002:", 18) ? NULL : tag + 18;
    if (!strcmp(tag, "!") || (name && !strcmp(name, "str"))) return cJSON_CreateString(text);
    cJSON *v = name ? ltr_yaml_plain_scalar(text) : NULL;
    bool ok = v && ((!strcmp(name, "null") && cJSON_IsNull(v)) ||
                    (!strcmp(name, "bool") && cJSON_IsBool(v)) ||
                    (!strcmp(name, "int") && (cJSON_IsNumber(v) || cJSON_IsRaw(v)) &&
                     !strpbrk(cJSON_IsRaw(v) ? v->valuestring : "", ".eEni")) ||
                    (!strcmp(name, "float") && (cJSON_IsNumber(v) || cJSON_IsRaw(v))));
    if (ok && !strcmp(name, "float") && !cJSON_IsRaw(v) && v->valuedouble == floor(v->valuedouble)) {
        double d = v->valuedouble; /* !!float 3: the float 3.0 */
        cJSON_Delete(v);
        v = float_node(d);
    }
    if (!ok) {
        cJSON_Delete(v);
        fail_at(l, ev->start_mark, "the tag %s does not apply to '%s' (configs take the safe "
                                   "tags: !!str, !!int, !!float, !!bool, !!null)", tag, text);
        return NULL;
    }
    return v;
}

static cJSON *load_node(loader *l, yaml_event_t *ev);

static void set_key(cJSON *map, const char *key, cJSON *value) {
    if (cJSON_GetObjectItemCaseSensitive(map, key)) /* PyYAML: the last one wins */
        cJSON_ReplaceItemInObjectCaseSensitive(map, key, value);
    else
        cJSON_AddItemToObject(map, key, value);
}

/* "<<: *base" (or a list of them): the keys not given in the mapping itself */
static void merge_into(cJSON *map, const cJSON *src) {
    const cJSON *it;
    cJSON_ArrayForEach(it, src)
        if (!cJSON_GetObjectItemCaseSensitive(map, it->string))
            cJSON_AddItemToObject(map, it->string, cJSON_Duplicate(it, 1));
}

static cJSON *load_mapping(loader *l, yaml_event_t *start) {
    cJSON *map = cJSON_CreateObject();
    remember_anchor(l, start->data.mapping_start.anchor, map);
    cJSON *merges = cJSON_CreateArray();
    for (;;) {
        yaml_event_t ev;
        if (!next_event(l, &ev)) break;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            fail_at(l, ev.start_mark, "a mapping key must be a plain name (a scalar), not a %s",
                    ev.type == YAML_MAPPING_START_EVENT ? "mapping" : "list or alias");
            yaml_event_delete(&ev);
            break;
        }
        char *key = strdup((const char *)ev.data.scalar.value);
        bool merge = key && !strcmp(key, "<<") && ev.data.scalar.plain_implicit;
        size_t key_line = ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        yaml_event_t vev;
        size_t old = merge || !key ? strlen(l->path) : path_push(l, key, key_line);
        cJSON *value = key && next_event(l, &vev) ? load_node(l, &vev) : NULL;
        l->path[old] = '\0';
        if (!value) {
            free(key);
            break;
        }
        if (merge) {
            if (cJSON_IsObject(value)) cJSON_AddItemToArray(merges, value);
            else if (cJSON_IsArray(value)) {
                for (cJSON *m = value->child; m; m = m->next)
                    if (!cJSON_IsObject(m)) {
                        fail_at(l, vev.start_mark, "'<<' merges mappings only");
                        break;
                    }
                cJSON_AddItemToArray(merges, value);
            } else {
                cJSON_Delete(value);
                fail_at(l, vev.start_mark, "'<<' merges mappings only");
            }
        } else {
            set_key(map, key, value);
        }
        free(key);
    }
    /* explicit keys win over merged ones; earlier merges over later ones */
    for (cJSON *m = merges->child; m && !l->failed; m = m->next) {
        if (cJSON_IsObject(m)) merge_into(map, m);
        else for (cJSON *x = m->child; x; x = x->next) merge_into(map, x);
    }
    cJSON_Delete(merges);
    if (l->failed) {
        /* an anchor may still point here: drop it with the map */
        for (size_t i = 0; i < l->nanchors; i++)
            if (l->anchors[i].node == map) l->anchors[i].node = NULL;
        cJSON_Delete(map);
        return NULL;
    }
    return map;
}

static cJSON *load_sequence(loader *l, yaml_event_t *start) {
    cJSON *list = cJSON_CreateArray();
    remember_anchor(l, start->data.sequence_start.anchor, list);
    for (;;) {
        yaml_event_t ev;
        if (!next_event(l, &ev)) break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return list;
        }
        char index[32];
        snprintf(index, sizeof index, "%d", cJSON_GetArraySize(list));
        size_t old = path_push(l, index, ev.start_mark.line + 1);
        cJSON *item = load_node(l, &ev);
        l->path[old] = '\0';
        if (!item) break;
        cJSON_AddItemToArray(list, item);
    }
    for (size_t i = 0; i < l->nanchors; i++)
        if (l->anchors[i].node == list) l->anchors[i].node = NULL;
    cJSON_Delete(list);
    return NULL;
}

/* One node from its first event (deleted here). NULL: failed (l->err says why). */
static cJSON *load_node(loader *l, yaml_event_t *ev) {
    cJSON *out = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        const char *text = (const char *)ev->data.scalar.value;
        const char *tag = (const char *)ev->data.scalar.tag;
        if (tag) out = tagged_scalar(l, ev, tag, text);
        else if (ev->data.scalar.plain_implicit && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            out = ltr_yaml_plain_scalar(text);
        else out = cJSON_CreateString(text); /* quoted or block text */
        remember_anchor(l, ev->data.scalar.anchor, out);
        break;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = l->nanchors; i-- > 0;)
            if (!strcmp(l->anchors[i].name, name) && l->anchors[i].node) {
                out = cJSON_Duplicate(l->anchors[i].node, 1);
                break;
            }
        if (!out) fail_at(l, ev->start_mark, "found undefined alias '%s'", name);
        break;
    }
    case YAML_MAPPING_START_EVENT:
        if (ev->data.mapping_start.tag && strcmp((const char *)ev->data.mapping_start.tag, "tag:yaml.org,2002:map"))
            fail_at(l, ev->start_mark, "the tag %s is not one a config takes (a mapping has none)",
                    (const char *)ev->data.mapping_start.tag);
        else out = load_mapping(l, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        if (ev->data.sequence_start.tag && strcmp((const char *)ev->data.sequence_start.tag, "tag:yaml.org,2002:seq"))
            fail_at(l, ev->start_mark, "the tag %s is not one a config takes (a list has none)",
                    (const char *)ev->data.sequence_start.tag);
        else out = load_sequence(l, ev);
        break;
    default:
        fail_at(l, ev->start_mark, "unexpected YAML event");
        break;
    }
    yaml_event_delete(ev);
    return out;
}

cJSON *ltr_yaml_load(const char *text, size_t len, const char *path, char *err, size_t cap,
                     cJSON **lines) {
    loader l = {.file = path, .err = err, .cap = cap};
    if (lines) *lines = l.lines = cJSON_CreateObject();
    if (!yaml_parser_initialize(&l.parser)) {
        snprintf(err, cap, "--config %s: out of memory", path);
        return NULL;
    }
    yaml_parser_set_input_string(&l.parser, (const unsigned char *)text, len);
    cJSON *root = NULL;
    yaml_event_t ev;
    bool have_doc = false;
    while (!l.failed && next_event(&l, &ev)) {
        yaml_event_type_t type = ev.type;
        yaml_mark_t mark = ev.start_mark;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (type == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            if (have_doc) { /* PyYAML's load: "expected a single document in the stream" */
                fail_at(&l, mark, "a second YAML document ('---'): a config is one document");
                break;
            }
            have_doc = true;
            yaml_event_t node;
            if (!next_event(&l, &node)) break;
            root = load_node(&l, &node);
            continue;
        }
        yaml_event_delete(&ev); /* stream start, document end */
    }
    yaml_parser_delete(&l.parser);
    for (size_t i = 0; i < l.nanchors; i++) free(l.anchors[i].name);
    free(l.anchors);
    if (l.failed || !root || cJSON_IsNull(root)) {
        if (lines) {
            cJSON_Delete(*lines);
            *lines = NULL;
        }
    }
    if (l.failed) {
        cJSON_Delete(root);
        return NULL;
    }
    if (!root || cJSON_IsNull(root)) {
        cJSON_Delete(root);
        snprintf(err, cap, "--config %s: the file holds no YAML document (it is empty or only "
                           "comments)", path);
        return NULL;
    }
    return root;
}
