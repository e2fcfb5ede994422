/*
 * buf.c - growable, capped byte buffer.  Must never truncate silently.
 */
#include "kigo/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
kg_buf_init(struct kg_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : SIZE_MAX - 1;
}

enum kg_err
kg_buf_append(struct kg_buf *b, const void *data, size_t len)
{
	size_t need, ncap;

	if (b->max == 0)
		b->max = SIZE_MAX - 1;
	if (len > b->max - b->len)
		return KG_ERR_TOOBIG;
	need = b->len + len + 1;
	if (need > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		b->data = kg_xrealloc(b->data, ncap);
		b->cap = ncap;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return KG_ERR_OK;
}

enum kg_err
kg_buf_puts(struct kg_buf *b, const char *s)
{
	return kg_buf_append(b, s, strlen(s));
}

enum kg_err
kg_buf_printf(struct kg_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	enum kg_err err;

	va_start(ap, fmt);
	s = kg_xvasprintf(fmt, ap);
	va_end(ap);
	err = kg_buf_puts(b, s);
	free(s);
	return err;
}

const char *
kg_buf_str(const struct kg_buf *b)
{
	return b->data ? b->data : "";
}

char *
kg_buf_steal(struct kg_buf *b)
{
	char *p = b->data ? b->data : kg_xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
kg_buf_reset(struct kg_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
kg_buf_free(struct kg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
kg_buf_wipe(struct kg_buf *b)
{
	if (b->data)
		kg_memzero(b->data, b->cap);
	kg_buf_free(b);
}
