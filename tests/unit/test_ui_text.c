#include <criterion/criterion.h>
#include <locale.h>
#include <string.h>

#include "kigo/text.h"

static void
utf8_locale(void)
{
	cr_assert_not_null(setlocale(LC_ALL, "C.UTF-8"));
}

TestSuite(text, .init = utf8_locale);

Test(text, null_and_empty)
{
	char *s;

	cr_assert_eq(kg_text_width(NULL), 0);
	cr_assert_eq(kg_text_width(""), 0);
	s = kg_text_fit(NULL, 3, KG_TEXT_PAD);
	cr_assert_str_eq(s, "   ");
	free(s);
	s = kg_text_fit("abc", 0, KG_TEXT_PAD);
	cr_assert_str_eq(s, "");
	free(s);
	s = kg_text_fit("abc", -4, 0);
	cr_assert_str_eq(s, "");
	free(s);
}

Test(text, widths)
{
	cr_assert_eq(kg_text_width("abc"), 3);
	cr_assert_eq(kg_text_width("caf\xc3\xa9"), 4);              /* é */
	cr_assert_eq(kg_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* 日本 */
	cr_assert_eq(kg_text_width("e\xcc\x81"), 1);                /* e + combining acute */
	cr_assert_eq(kg_text_width("a\x1b" "b"), 2);                /* control: no cell */
	cr_assert_eq(kg_text_width("\xff"), 1);                     /* invalid: one cell */
}

Test(text, fits_without_change)
{
	char *s = kg_text_fit("hello", 5, 0);
	cr_assert_str_eq(s, "hello");
	free(s);
	s = kg_text_fit("hello", 8, KG_TEXT_PAD);
	cr_assert_str_eq(s, "hello   ");
	free(s);
	s = kg_text_fit("hi", 5, KG_TEXT_PAD | KG_TEXT_RIGHT);
	cr_assert_str_eq(s, "   hi");
	free(s);
}

Test(text, ellipsis)
{
	char *s = kg_text_fit("ExtraBucks not applied", 10, 0);
	cr_assert_str_eq(s, "ExtraBuck\xe2\x80\xa6");
	cr_assert_eq(kg_text_width(s), 10);
	free(s);
	s = kg_text_fit("ExtraBucks not applied", 10, KG_TEXT_ASCII);
	cr_assert_str_eq(s, "ExtraBu...");
	free(s);
	/* too narrow for text and an ellipsis */
	s = kg_text_fit("abcdef", 1, 0);
	cr_assert_str_eq(s, "a");
	free(s);
}

Test(text, wide_chars_never_straddle)
{
	/* 日本語 is 6 cells; in 4 cells: 日 + … = 3 cells, padded to 4 */
	char *s = kg_text_fit("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4, KG_TEXT_PAD);
	cr_assert_str_eq(s, "\xe6\x97\xa5\xe2\x80\xa6 ");
	cr_assert_eq(kg_text_width(s), 4);
	free(s);
	s = kg_text_fit("a\xe6\x97\xa5", 2, KG_TEXT_PAD); /* a + 日 = 3 cells */
	cr_assert_eq(kg_text_width(s), 2);
	free(s);
}

Test(text, never_splits_utf8)
{
	size_t n;
	int w;

	n = kg_text_prefix("\xc3\xa9\xc3\xa9\xc3\xa9", 2, &w);
	cr_assert_eq(n, 4);
	cr_assert_eq(w, 2);
}

Test(text, cursor_steps)
{
	const char *s = "a\xc3\xa9\xe6\x97\xa5z";

	cr_assert_eq(kg_text_next(s, 0), 1);
	cr_assert_eq(kg_text_next(s, 1), 3);
	cr_assert_eq(kg_text_next(s, 3), 6);
	cr_assert_eq(kg_text_next(s, 6), 7);
	cr_assert_eq(kg_text_next(s, 7), 7);
	cr_assert_eq(kg_text_prev(s, 7), 6);
	cr_assert_eq(kg_text_prev(s, 6), 3);
	cr_assert_eq(kg_text_prev(s, 3), 1);
	cr_assert_eq(kg_text_prev(s, 1), 0);
	cr_assert_eq(kg_text_prev(s, 0), 0);
}

Test(text, wrap)
{
	char **v;
	size_t n;

	n = kg_text_wrap("the quick brown fox jumps", 10, &v);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0], "the quick");
	cr_assert_str_eq(v[1], "brown fox");
	cr_assert_str_eq(v[2], "jumps");
	kg_text_lines_free(&v, n);

	n = kg_text_wrap("line one\n\nabcdefghijkl", 5, &v);
	cr_assert_eq(n, 6);
	cr_assert_str_eq(v[0], "line");
	cr_assert_str_eq(v[1], "one");
	cr_assert_str_eq(v[2], "");
	cr_assert_str_eq(v[3], "abcde");
	cr_assert_str_eq(v[4], "fghij");
	cr_assert_str_eq(v[5], "kl");
	kg_text_lines_free(&v, n);

	n = kg_text_wrap(NULL, 0, &v);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0], "");
	kg_text_lines_free(&v, n);
}
