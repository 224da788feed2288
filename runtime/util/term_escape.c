/*
 * term_escape.c — strings from untrusted files (checkpoints) made safe to print (term_escape.h).
 */
#include "util/term_escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the length of the valid UTF-8 sequence at p (its code point in *cp), 0 if invalid */
int ltr_utf8_seq(const unsigned char *p, uint32_t *cp) {
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!n) return 0;
    uint32_t c = n == 1 ? p[0] : p[0] & (0x7F >> n);
    for (int k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
        c = c << 6 | (p[k] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0; /* overlong, surrogate */
    *cp = c;
    return n;
}

/* code points a terminal (or a reader) acts on: C0/C1 controls, DEL, line/paragraph
 * separators and the bidirectional overrides that reorder what is shown */
bool ltr_term_active_cp(uint32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* text output: visible escapes (\x1b, \u202e) instead of the active characters, and
 * \xNN for bytes that are not UTF-8; malloc'd */
char *ltr_term_escaped(const char *str) {
    const unsigned char *p = (const unsigned char *)str;
    char *o = malloc(strlen(str) * 6 + 1), *q = o;
    if (!o) return NULL;
    while (*p) {
        uint32_t c = 0;
        int n = ltr_utf8_seq(p, &c);
        if (n && !ltr_term_active_cp(c)) memcpy(q, p, (size_t)n), q += n;
        else if (n && c >= 0x80) q += sprintf(q, "\\u%04x", (unsigned)c);
        else if (n) q += sprintf(q, "\\x%02x", (unsigned)c);
        else q += sprintf(q, "\\x%02x", *p), n = 1;
        p += n;
    }
    *q = 0;
    return o;
}
