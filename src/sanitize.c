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
#include "kigo/text.h"

#include <stdint.h>
#include <string.h>

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
		n = kg_text_decode((const char *)p + i, len - i, &cp);
		if (n == 1 && cp == 0xfffd) { /* an invalid byte (U+FFFD itself takes 3) */
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
