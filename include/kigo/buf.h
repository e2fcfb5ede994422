/*
 * buf.h - a growable byte buffer with a hard cap (curl's dynbuf).
 *
 * Appending past the cap is an error (KG_ERR_TOOBIG), never a silent cut.
 * The content is always NUL-terminated so it can be handed to parsers.
 */
#ifndef KIGO_BUF_H
#define KIGO_BUF_H

#include "kigo/common.h"

struct kg_buf {
	char *data;    /* NUL-terminated content, NULL until the first append */
	size_t len;    /* bytes used, without the NUL */
	size_t cap;    /* bytes allocated */
	size_t max;    /* hard cap on len; 0 means SIZE_MAX */
};

void kg_buf_init(struct kg_buf *b, size_t max);
enum kg_err kg_buf_append(struct kg_buf *b, const void *data, size_t len);
enum kg_err kg_buf_puts(struct kg_buf *b, const char *s);
enum kg_err kg_buf_printf(struct kg_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The content ("" when empty); valid until the next append. */
const char *kg_buf_str(const struct kg_buf *b);
/* Hand the content over; the buffer is empty afterwards.  Caller frees. */
char *kg_buf_steal(struct kg_buf *b);
void kg_buf_reset(struct kg_buf *b);
/* Free the content (wiping it first when it may hold a secret). */
void kg_buf_free(struct kg_buf *b);
void kg_buf_wipe(struct kg_buf *b);

#endif
