/*
 * sanitize.h - remote text is data, never terminal control.
 *
 * Everything a server sends passes through here before it is drawn or
 * printed: C0 and C1 controls, ESC and DEL are dropped (or, for tab and
 * newline, turned into a space when asked), invalid UTF-8 becomes U+FFFD,
 * and bidirectional overrides and isolates, which can reorder what the
 * agent reads, are removed.
 */
#ifndef KIGO_SANITIZE_H
#define KIGO_SANITIZE_H

#include <stddef.h>

enum kg_sanitize_flags {
	KG_SAN_KEEP_NEWLINES = 1 << 0, /* keep \n (multi-line text such as a summary) */
	KG_SAN_ASCII = 1 << 1,         /* non-ASCII becomes '?' (no UTF-8 locale) */
};

/* Sanitize len bytes of s (NULL is ""); caller frees. */
char *kg_sanitize(const char *s, size_t len, int flags);
/* Same for a NUL-terminated string; NULL in gives "". Caller frees. */
char *kg_sanitize_str(const char *s);
/* True when the string has no byte that kg_sanitize would change. */
int kg_sanitize_is_clean(const char *s, size_t len, int flags);

#endif
