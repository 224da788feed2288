/*
 * term_escape.h — text from an untrusted file on the user's terminal: the characters a
 * terminal or a reader acts on (C0/C1 controls, DEL, line/paragraph separators, the
 * bidirectional overrides that reorder a line) and bytes that are not UTF-8 become
 * visible escapes. Used by `ltrun inspect` and by the saved-hparams notice.
 */
#ifndef LTR_UTIL_TERM_ESCAPE_H
#define LTR_UTIL_TERM_ESCAPE_H

#include <stdbool.h>
#include <stdint.h>

/* the length of the valid UTF-8 sequence at p (its code point in *cp), 0 if invalid */
int ltr_utf8_seq(const unsigned char *p, uint32_t *cp);
/* whether a terminal (or a reader) acts on code point c */
bool ltr_term_active_cp(uint32_t c);
/* str with \x1b / \u202e / \xNN escapes in place of the above; malloc'd (NULL: no memory) */
char *ltr_term_escaped(const char *str);

#endif
