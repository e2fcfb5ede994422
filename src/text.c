/*
 * text.c - display widths, ellipsis truncation and padding for UTF-8 text.
 *
 * Everything the screen shows is cut to its cell budget here, so a long
 * caller name or a wide CJK character never spills into the next pane.
 * Never writes to the terminal and never keeps state between calls.
 */
#include "kigo/text.h"

#include "kigo/buf.h"
#include "kigo/common.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

size_t
kg_text_decode(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c;
	size_t n, i;

	*cp = 0xfffd;
	if (len == 0)
		return 1;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 1;
	}
	if (n > len)
		return 1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 1;
	*cp = c;
	return n;
}

int
kg_text_cp_width(uint32_t cp)
{
	int w;

	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return 0;
	if (cp < 0x7f)
		return 1;
	w = wcwidth((wchar_t)cp);
	if (w < 0)
		return 1;   /* unknown to this locale: drawn as one cell ('?') */
	return w > 2 ? 2 : w;
}

int
kg_text_nwidth(const char *s, size_t len)
{
	uint32_t cp;
	size_t i = 0;
	int w = 0;

	if (s == NULL)
		return 0;
	while (i < len && s[i] != '\0') {
		i += kg_text_decode(s + i, len - i, &cp);
		w += kg_text_cp_width(cp);
	}
	return w;
}

int
kg_text_width(const char *s)
{
	return s == NULL ? 0 : kg_text_nwidth(s, strlen(s));
}

size_t
kg_text_prefix(const char *s, int cols, int *wp)
{
	size_t i = 0, len, n;
	uint32_t cp;
	int w = 0, cw;

	if (s == NULL || cols <= 0) {
		if (wp != NULL)
			*wp = 0;
		return 0;
	}
	len = strlen(s);
	while (i < len) {
		n = kg_text_decode(s + i, len - i, &cp);
		cw = kg_text_cp_width(cp);
		if (w + cw > cols)
			break;
		w += cw;
		i += n;
	}
	if (wp != NULL)
		*wp = w;
	return i;
}

char *
kg_text_fit(const char *s, int cols, int flags)
{
	const char *ell = (flags & KG_TEXT_ASCII) ? "..." : "\xe2\x80\xa6";
	int ellw = (flags & KG_TEXT_ASCII) ? 3 : 1;
	struct kg_buf b;
	size_t n;
	int w, total;

	kg_buf_init(&b, 0);
	if (s == NULL)
		s = "";
	if (cols < 0)
		cols = 0;
	total = kg_text_width(s);
	if (total <= cols) {
		n = strlen(s);
		w = total;
	} else if (cols <= ellw) {
		/* no room for text and an ellipsis: just the text that fits */
		n = kg_text_prefix(s, cols, &w);
		ell = NULL;
	} else {
		n = kg_text_prefix(s, cols - ellw, &w);
	}
	(void)kg_buf_append(&b, s, n);
	if (total > cols && ell != NULL) {
		(void)kg_buf_puts(&b, ell);
		w += ellw;
	}
	if ((flags & KG_TEXT_PAD) && w < cols) {
		char *pad = kg_xmalloc((size_t)(cols - w) + 1);
		char *out;

		memset(pad, ' ', (size_t)(cols - w));
		pad[cols - w] = '\0';
		if (flags & KG_TEXT_RIGHT) {
			out = kg_xasprintf("%s%s", pad, kg_buf_str(&b));
			free(pad);
			kg_buf_free(&b);
			return out;
		}
		(void)kg_buf_puts(&b, pad);
		free(pad);
	}
	if (b.data == NULL)
		return kg_xstrdup("");
	return kg_buf_steal(&b);
}

size_t
kg_text_prev(const char *s, size_t pos)
{
	if (pos == 0)
		return 0;
	pos--;
	while (pos > 0 && ((unsigned char)s[pos] & 0xc0) == 0x80)
		pos--;
	return pos;
}

size_t
kg_text_next(const char *s, size_t pos)
{
	uint32_t cp;
	size_t len = strlen(s);

	if (pos >= len)
		return len;
	return pos + kg_text_decode(s + pos, len - pos, &cp);
}

static void
push_line(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = kg_xrealloc(*v, *cap * sizeof(char *));
	}
	/* trailing spaces at a wrap point are not worth a cell */
	while (len > 0 && s[len - 1] == ' ')
		len--;
	(*v)[(*n)++] = kg_xstrndup(s, len);
}

size_t
kg_text_wrap(const char *s, int cols, char ***lines)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	const char *p, *end, *nl;

	if (cols < 1)
		cols = 1;
	if (s == NULL)
		s = "";
	p = s;
	for (;;) {
		nl = strchr(p, '\n');
		end = nl != NULL ? nl : p + strlen(p);
		/* wrap the paragraph [p, end) */
		while (kg_text_nwidth(p, (size_t)(end - p)) > cols) {
			size_t fit = 0, i = 0, brk = 0;
			uint32_t cp;
			int w = 0, cw;

			while (p + i < end) {
				size_t k = kg_text_decode(p + i, (size_t)(end - p - i), &cp);

				cw = kg_text_cp_width(cp);
				if (w + cw > cols)
					break;
				w += cw;
				i += k;
				if (cp == ' ')
					brk = i;
			}
			fit = i;
			if (brk > 0 && p + fit < end && p[fit] != ' ')
				fit = brk;
			if (fit == 0)
				fit = kg_text_next(p, 0);
			push_line(&v, &n, &cap, p, fit);
			p += fit;
			while (p < end && *p == ' ')
				p++;
		}
		push_line(&v, &n, &cap, p, (size_t)(end - p));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*lines = v;
	return n;
}

void
kg_text_lines_free(char ***lines, size_t n)
{
	size_t i;

	if (*lines == NULL)
		return;
	for (i = 0; i < n; i++)
		free((*lines)[i]);
	kg_free(lines);
}
