/*
 * libFuzzer: the text sanitizer.  Its output must never contain a control
 * character (C0 other than a kept newline, DEL, C1, ESC) or a bidi override,
 * must be valid UTF-8, and sanitizing twice changes nothing.
 */
#include "fuzz.h"

#include "kigo/sanitize.h"

#include <glib.h>

static void
check(const char *out, int flags)
{
	const char *p = out;
	gunichar c;

	if (!g_utf8_validate(out, -1, NULL))
		abort();
	for (; *p; p = g_utf8_next_char(p)) {
		c = g_utf8_get_char(p);
		if (c == '\n' && (flags & KG_SAN_KEEP_NEWLINES))
			continue;
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
		    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
			abort();
		if ((flags & KG_SAN_ASCII) && c >= 0x80)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int flags[] = { 0, KG_SAN_KEEP_NEWLINES, KG_SAN_ASCII,
		                     KG_SAN_KEEP_NEWLINES | KG_SAN_ASCII };

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char *out = kg_sanitize((const char *)data, size, flags[i]);
		char *again = kg_sanitize(out, strlen(out), flags[i]);

		check(out, flags[i]);
		if (strcmp(out, again) != 0)
			abort();
		free(again);
		free(out);
	}
	return 0;
}
