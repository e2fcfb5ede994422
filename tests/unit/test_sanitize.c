#include <criterion/criterion.h>
#include <string.h>

#include "kigo/buf.h"
#include "kigo/sanitize.h"

static char *
san(const char *s)
{
	return kg_sanitize(s, strlen(s), 0);
}

Test(sanitize, null_and_empty)
{
	char *s = kg_sanitize(NULL, 5, 0);
	cr_assert_str_eq(s, "");
	free(s);
	s = san("");
	cr_assert_str_eq(s, "");
	free(s);
}

Test(sanitize, strips_escape_sequences)
{
	char *s = san("a\x1b]52;c;SGVsbG8=\x07" "b\x1b[2Jc");
	cr_assert_str_eq(s, "a]52;c;SGVsbG8=b[2Jc");
	cr_assert_null(strchr(s, 0x1b));
	free(s);
}

Test(sanitize, strips_c1_utf8_and_raw)
{
	char *s = san("x\xc2\x9b" "31m\x9by");
	/* the encoded CSI (U+009B) is dropped; the lone 0x9b byte is invalid UTF-8 */
	cr_assert_str_eq(s, "x31m\xef\xbf\xbdy");
	free(s);
}

Test(sanitize, bidi_and_separators)
{
	char *s = san("a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xe2\x80\xa8" "d");
	cr_assert_str_eq(s, "abcd");
	free(s);
}

Test(sanitize, newlines_and_tabs)
{
	char *s = san("a\tb\nc\rd");
	cr_assert_str_eq(s, "a b c d");
	free(s);
	s = kg_sanitize("a\nb\r\n", 5, KG_SAN_KEEP_NEWLINES);
	cr_assert_str_eq(s, "a\nb \n");
	free(s);
}

Test(sanitize, keeps_utf8_and_ascii_mode)
{
	char *s = san("Zo\xc3\xab \xe2\x82\xac");
	cr_assert_str_eq(s, "Zo\xc3\xab \xe2\x82\xac");
	free(s);
	s = kg_sanitize("Zo\xc3\xab", 4, KG_SAN_ASCII);
	cr_assert_str_eq(s, "Zo?");
	free(s);
}

Test(sanitize, overlong_and_surrogates_rejected)
{
	char *s = san("\xc0\xaf\xed\xa0\x80");
	cr_assert_null(strchr(s, '/'));
	cr_assert(kg_sanitize_is_clean(s, strlen(s), 0));
	free(s);
}

Test(buf, cap_is_an_error_not_a_cut)
{
	struct kg_buf b;

	kg_buf_init(&b, 8);
	cr_assert_eq(kg_buf_puts(&b, "12345678"), KG_ERR_OK);
	cr_assert_eq(kg_buf_puts(&b, "9"), KG_ERR_TOOBIG);
	cr_assert_str_eq(kg_buf_str(&b), "12345678");
	kg_buf_free(&b);
}
