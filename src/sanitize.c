/*
 * sanitize.c - strip terminal control from untrusted text.
 *
 * Must never let through ESC, a C0 control (other than a kept newline),
 * DEL, a C1 control (U+0080..U+009F, whether encoded as UTF-8 or as a raw
 * byte), or a bidi override; must never emit invalid UTF-8.
 */
#include "kigo/sanitize.h"

#include "kigo/buf.h"
#include "kigo/common.h"

#include <stdint.h>
#include <string.h>

/* Decode one UTF-8 sequence; returns its length, or 0 when invalid. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

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
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong, surrogate, or beyond Unicode */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static int
is_dropped(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f)
		return 1;
	if (cp >= 0x80 && cp <= 0x9f)
		return 1;
	/* bidi embeddings, overrides, isolates and marks */
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c)
		return 1;
	/* line and paragraph separators would break the layout */
	if (cp == 0x2028 || cp == 0x2029)
		return 1;
	return 0;
}

char *
kg_sanitize(const char *s, size_t len, int flags)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	struct kg_buf out;
	size_t i = 0, n;
	uint32_t cp;

	if (s == NULL)
		len = 0;
	kg_buf_init(&out, 0);
	kg_buf_append(&out, "", 0);
	while (i < len) {
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			if (flags & KG_SAN_ASCII)
				kg_buf_append(&out, "?", 1);
			else
				kg_buf_append(&out, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		if (cp == '\n' && (flags & KG_SAN_KEEP_NEWLINES)) {
			kg_buf_append(&out, "\n", 1);
		} else if (cp == '\t' || cp == '\n' || cp == '\r') {
			kg_buf_append(&out, " ", 1);
		} else if (is_dropped(cp)) {
			/* dropped */
		} else if (cp >= 0x80 && (flags & KG_SAN_ASCII)) {
			kg_buf_append(&out, "?", 1);
		} else {
			kg_buf_append(&out, p + i, n);
		}
		i += n;
	}
	return kg_buf_steal(&out);
}

char *
kg_sanitize_str(const char *s)
{
	return kg_sanitize(s, s ? strlen(s) : 0, 0);
}

int
kg_sanitize_is_clean(const char *s, size_t len, int flags)
{
	char *t = kg_sanitize(s, len, flags);
	int clean = strlen(t) == len && memcmp(t, s, len) == 0;

	kg_free(&t);
	return clean;
}
