/* yaml_emit.c — a cJSON tree as YAML text, as jsonargparse dumps a config (PyYAML's
 * safe_dump, default_flow_style=False, sort_keys=False, allow_unicode=True): block
 * mappings and lists, empty ones as {} and [], and a string quoted whenever the loader
 * (yaml_config.c) would read it back as something else ('1.0', 'true', ''). */
#include "cli/yaml_config.h"

#include "optim/optimizer.h" /* ltr_optim_pyfloat: Python's repr of a float */

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} sink;

static int write_sink(void *data, unsigned char *bytes, size_t size) {
    sink *s = data;
    if (s->len + size + 1 > s->cap) {
        size_t cap = (s->cap ? s->cap * 2 : 4096) + size;
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            s->oom = true;
            return 0;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, bytes, size);
    s->len += size;
    s->buf[s->len] = '\0';
    return 1;
}

/* PyYAML's represent_float: repr(), lower-cased, "1e-05" -> "1.0e-05" (YAML 1.1 needs
 * the dot), .inf / -.inf / .nan */
static void float_text(double d, char *buf, size_t cap) {
    if (isnan(d)) { snprintf(buf, cap, ".nan"); return; }
    if (isinf(d)) { snprintf(buf, cap, d > 0 ? ".inf" : "-.inf"); return; }
    char repr[64];
    ltr_optim_pyfloat(d, repr, sizeof repr);
    char *e = strchr(repr, 'e');
    if (!strchr(repr, '.') && e)
        snprintf(buf, cap, "%.*s.0%s", (int)(e - repr), repr, e);
    else
        snprintf(buf, cap, "%s", repr);
}

/* a raw node's text: an exact int64, or a float kept as a float ("1.0", "inf") */
static void raw_text(const char *raw, char *buf, size_t cap) {
    if (!strcmp(raw, "inf") || !strcmp(raw, "-inf") || !strcmp(raw, "nan")) {
        snprintf(buf, cap, "%s", !strcmp(raw, "inf") ? ".inf" : !strcmp(raw, "-inf") ? "-.inf" : ".nan");
        return;
    }
    const char *e = strpbrk(raw, "eE");
    if (e && !strchr(raw, '.'))
        snprintf(buf, cap, "%.*s.0%s", (int)(e - raw), raw, e);
    else
        snprintf(buf, cap, "%s", raw);
}

static bool emit_scalar(yaml_emitter_t *em, const char *text, bool plain_only, bool must_quote) {
    yaml_event_t ev;
    yaml_scalar_style_t style = plain_only ? YAML_PLAIN_SCALAR_STYLE
                                : must_quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE
                                             : YAML_ANY_SCALAR_STYLE;
    return yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text),
                                        !must_quote, 1, style) &&
           yaml_emitter_emit(em, &ev);
}

/* a string the loader would read as null, a bool or a number is quoted ('1.0') */
static bool emit_string(yaml_emitter_t *em, const char *s, bool is_key) {
    cJSON *as_plain = ltr_yaml_plain_scalar(s);
    bool quote = !cJSON_IsString(as_plain) || (is_key && !strcmp(s, "<<"));
    cJSON_Delete(as_plain);
    return emit_scalar(em, s, false, quote);
}

static bool emit_node(yaml_emitter_t *em, const cJSON *v) {
    yaml_event_t ev;
    char buf[128];
    if (cJSON_IsObject(v)) {
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(em, &ev))
            return false;
        for (const cJSON *it = v->child; it; it = it->next)
            if (!emit_string(em, it->string, true) || !emit_node(em, it)) return false;
        return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
    }
    if (cJSON_IsArray(v)) {
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(em, &ev))
            return false;
        for (const cJSON *it = v->child; it; it = it->next)
            if (!emit_node(em, it)) return false;
        return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
    }
    if (cJSON_IsString(v)) return emit_string(em, v->valuestring, false);
    if (cJSON_IsBool(v)) return emit_scalar(em, cJSON_IsTrue(v) ? "true" : "false", true, false);
    if (cJSON_IsNull(v)) return emit_scalar(em, "null", true, false);
    if (cJSON_IsRaw(v)) {
        raw_text(v->valuestring ? v->valuestring : "null", buf, sizeof buf);
        return emit_scalar(em, buf, true, false);
    }
    double d = v->valuedouble; /* a number: integral ones are ints (cJSON keeps no type) */
    if (d == floor(d) && fabs(d) < 1e17) snprintf(buf, sizeof buf, "%.0f", d);
    else float_text(d, buf, sizeof buf);
    return emit_scalar(em, buf, true, false);
}

char *ltr_yaml_dump(const cJSON *root, const char *header) {
    sink s = {0};
    if (header) {
        /* dump_header: each line as a comment, as LightningCLI's "# lightning.pytorch==..." */
        const char *p = header;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            write_sink(&s, (unsigned char *)"# ", 2);
            write_sink(&s, (unsigned char *)p, n);
            write_sink(&s, (unsigned char *)"\n", 1);
            p += n + (nl != NULL);
        }
    }
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em)) {
        free(s.buf);
        return NULL;
    }
    yaml_emitter_set_output(&em, write_sink, &s);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1); /* no folding: one line per value */
    yaml_event_t ev;
    bool ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
              yaml_emitter_emit(&em, &ev) &&
              yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
              yaml_emitter_emit(&em, &ev) && emit_node(&em, root) &&
              yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev) &&
              yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev);
    yaml_emitter_delete(&em);
    if (!ok || s.oom) {
        free(s.buf);
        return NULL;
    }
    return s.buf;
}
