/*
 * text.h - display-width helpers for drawing UTF-8 text in terminal cells:
 * width (wcwidth), truncation with an ellipsis, padding, and cursor steps
 * for editing UTF-8 a character at a time.
 *
 * Pure functions: no curses, no I/O.  Widths follow wcwidth(3) in the
 * current LC_CTYPE; a character it does not know (or any character in a
 * non-UTF-8 locale) counts as one cell, a control character as none.
 */
#ifndef KIGO_TEXT_H
#define KIGO_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kg_text_flags {
	KG_TEXT_PAD = 1 << 0,   /* pad with spaces to exactly the width asked */
	KG_TEXT_ASCII = 1 << 1, /* ellipsis is "..." rather than U+2026 */
	KG_TEXT_RIGHT = 1 << 2, /* with PAD: pad on the left (right-align) */
};

/* Decode one UTF-8 character of s (at most len bytes); returns its length,
 * at least 1 (an invalid byte decodes as U+FFFD, length 1). */
size_t kg_text_decode(const char *s, size_t len, uint32_t *cp);
/* Cells one code point takes: 0, 1 or 2. */
int kg_text_cp_width(uint32_t cp);
/* Cells the string takes (NULL is 0). */
int kg_text_width(const char *s);
int kg_text_nwidth(const char *s, size_t len);
/* Bytes of the longest prefix of s that fits in cols cells; *w gets its width. */
size_t kg_text_prefix(const char *s, int cols, int *w);
/*
 * s fitted into cols cells: cut with an ellipsis when too wide, padded with
 * spaces when KG_TEXT_PAD.  Never splits a character; a wide character that
 * would straddle the edge is replaced by padding.  Caller frees.
 */
char *kg_text_fit(const char *s, int cols, int flags);
/* Byte offset of the character before / after byte offset pos in s. */
size_t kg_text_prev(const char *s, size_t pos);
size_t kg_text_next(const char *s, size_t pos);
/*
 * Split s at newlines and wrap each paragraph at word boundaries to lines
 * of at most cols cells (a word longer than a line is cut).  Returns the
 * number of lines; *lines is an array of strings, caller frees with
 * kg_text_lines_free.
 */
size_t kg_text_wrap(const char *s, int cols, char ***lines);
void kg_text_lines_free(char ***lines, size_t n);

#endif
