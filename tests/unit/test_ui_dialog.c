#include <criterion/criterion.h>
#include <curses.h>
#include <locale.h>
#include <string.h>
#include <time.h>

#include "kigo/ui_dialog.h"
#include "kigo/ui_keys.h"

static void
type(struct kg_dialog *d, const char *s)
{
	/* ASCII only here; UTF-8 goes through kg_input_key directly */
	while (*s)
		kg_dialog_key(d, (unsigned char)*s++);
}

Test(input, utf8_editing)
{
	struct kg_input in;

	kg_input_init(&in, "", 100);
	kg_input_key(&in, 'a');
	kg_input_key(&in, 0xe9);   /* é */
	kg_input_key(&in, 0x65e5); /* 日 */
	cr_assert_str_eq(kg_input_text(&in), "a\xc3\xa9\xe6\x97\xa5");
	kg_input_key(&in, KG_KEY_FN(KEY_LEFT));
	kg_input_key(&in, KG_KEY_FN(KEY_BACKSPACE)); /* removes é, not a byte of it */
	cr_assert_str_eq(kg_input_text(&in), "a\xe6\x97\xa5");
	kg_input_key(&in, KG_KEY_FN(KEY_HOME));
	kg_input_key(&in, KG_KEY_FN(KEY_DC));
	cr_assert_str_eq(kg_input_text(&in), "\xe6\x97\xa5");
	kg_input_key(&in, KG_KEY_FN(KEY_END));
	kg_input_key(&in, 0x7f);
	cr_assert_str_eq(kg_input_text(&in), "");
	kg_input_key(&in, 0x7f); /* nothing left: harmless */
	cr_assert_eq(in.cur, 0);
	kg_input_free(&in);
}

Test(input, controls_are_refused)
{
	struct kg_input in;

	kg_input_init(&in, "x", 100);
	cr_assert_not(kg_input_key(&in, 0x1b));
	cr_assert_not(kg_input_key(&in, 0x9b));
	cr_assert_not(kg_input_key(&in, 0x02));
	cr_assert_not(kg_input_key(&in, 0xd800));
	cr_assert_str_eq(kg_input_text(&in), "x");
	/* pre-filled text from a server is sanitized */
	kg_input_set(&in, "a\x1b[2Jb");
	cr_assert_str_eq(kg_input_text(&in), "a[2Jb");
	kg_input_free(&in);
}

Test(input, cap_and_words)
{
	struct kg_input in;
	int i;

	kg_input_init(&in, "", 5);
	for (i = 0; i < 10; i++)
		kg_input_key(&in, 'z');
	cr_assert_eq(in.len, 5);
	kg_input_set(&in, "ab cd");
	kg_input_key(&in, KG_KEY_CTRL('w'));
	cr_assert_str_eq(kg_input_text(&in), "ab ");
	kg_input_key(&in, KG_KEY_CTRL('u'));
	cr_assert_str_eq(kg_input_text(&in), "");
	kg_input_set(&in, "\xc3\xa9\xc3\xa9\xc3\xa9"); /* 6 bytes over a 5-byte cap */
	cr_assert_str_eq(kg_input_text(&in), "\xc3\xa9\xc3\xa9");
	kg_input_free(&in);
}

Test(input, view_scrolls_to_cursor)
{
	struct kg_input in;
	size_t start;
	int col;

	kg_input_init(&in, "abcdefghij", 100);
	kg_input_view(&in, 5, &start, &col);
	cr_assert_eq(start, 6);
	cr_assert_eq(col, 4);
	kg_input_key(&in, KG_KEY_FN(KEY_HOME));
	kg_input_view(&in, 5, &start, &col);
	cr_assert_eq(start, 0);
	cr_assert_eq(col, 0);
	kg_input_free(&in);
}

Test(date, parse_and_check)
{
	char *cause = NULL;
	int y, m, d;

	cr_assert(kg_date_parse("2024-02-29", &y, &m, &d));
	cr_assert_eq(y, 2024);
	cr_assert_eq(m, 2);
	cr_assert_eq(d, 29);
	cr_assert_not(kg_date_parse("2023-02-29", NULL, NULL, NULL));
	cr_assert_not(kg_date_parse("2100-02-29", NULL, NULL, NULL));
	cr_assert(kg_date_parse("2000-02-29", NULL, NULL, NULL));
	cr_assert_not(kg_date_parse("2024-13-01", NULL, NULL, NULL));
	cr_assert_not(kg_date_parse("2024-04-31", NULL, NULL, NULL));
	cr_assert_not(kg_date_parse("2024-4-1", NULL, NULL, NULL));
	cr_assert_not(kg_date_parse("2024-04-01x", NULL, NULL, NULL));
	cr_assert_not(kg_date_parse("", NULL, NULL, NULL));
	cr_assert_not(kg_date_parse(NULL, NULL, NULL, NULL));
	cr_assert_not(kg_date_parse("31/12/2024", NULL, NULL, NULL));

	cr_assert_not(kg_date_check("2024-06-01", "2024-06-01", &cause));
	cr_assert_not_null(strstr(cause, "after today"));
	cr_assert_not(kg_date_check("junk", "2024-06-01", &cause));
	cr_assert_not_null(strstr(cause, "YYYY-MM-DD"));
	free(cause);
	cr_assert(kg_date_check("2024-06-02", "2024-06-01", NULL));
}

Test(date, add_days)
{
	char out[11];

	cr_assert(kg_date_add_days("2024-02-28", 1, out));
	cr_assert_str_eq(out, "2024-02-29");
	cr_assert(kg_date_add_days("2024-12-31", 1, out));
	cr_assert_str_eq(out, "2025-01-01");
	cr_assert(kg_date_add_days("2025-03-01", -1, out));
	cr_assert_str_eq(out, "2025-02-28");
	cr_assert(kg_date_add_days("2024-01-01", 365, out));
	cr_assert_str_eq(out, "2024-12-31");
	cr_assert_not(kg_date_add_days("nope", 1, out));
	setenv("TZ", "UTC", 1);
	tzset();
	kg_date_from_time(0, out);
	cr_assert_str_eq(out, "1970-01-01");
	kg_date_from_time(1718000000, out);
	cr_assert_str_eq(out, "2024-06-10");
}

Test(dialog, required_reason_blocks_enter)
{
	struct kg_dialog *d = kg_dialog_new(KG_DLG_FORM, 1, "Remove token");

	kg_dialog_add_field(d, "Reason", "", KG_FIELD_REQUIRED);
	cr_assert_eq(kg_dialog_key(d, '\n'), KG_DLG_CONTINUE);
	cr_assert_not_null(d->error);
	cr_assert_not_null(strstr(d->error, "Reason is required"));
	type(d, "   ");
	cr_assert_eq(kg_dialog_key(d, '\n'), KG_DLG_CONTINUE, "blank is not a reason");
	kg_dialog_key(d, KG_KEY_CTRL('u'));
	type(d, "customer asked");
	cr_assert_null(d->error, "typing clears the error");
	cr_assert_eq(kg_dialog_key(d, '\r'), KG_DLG_OK);
	cr_assert_str_eq(kg_dialog_value(d, 0), "customer asked");
	kg_dialog_free(&d);
	cr_assert_null(d);
}

Test(dialog, esc_cancels)
{
	struct kg_dialog *d = kg_dialog_new(KG_DLG_FORM, 1, "Dispute");

	kg_dialog_add_field(d, "Reason", "", KG_FIELD_REQUIRED);
	type(d, "abc");
	cr_assert_eq(kg_dialog_key(d, KG_KEY_ESC), KG_DLG_CANCEL);
	kg_dialog_free(&d);
}

Test(dialog, date_field_validates)
{
	struct kg_dialog *d = kg_dialog_new(KG_DLG_FORM, 1, "Reissue");

	kg_dialog_set_today(d, "2024-06-01");
	kg_dialog_add_field(d, "New expiry", "2024-05-01", KG_FIELD_DATE | KG_FIELD_REQUIRED);
	kg_dialog_add_field(d, "Reason", "", KG_FIELD_REQUIRED);
	cr_assert_eq(kg_dialog_key(d, '\n'), KG_DLG_CONTINUE);
	cr_assert_not_null(strstr(d->error, "after today"));
	cr_assert_eq(d->focus, 0);
	kg_dialog_key(d, KG_KEY_CTRL('u'));
	type(d, "2024-07-01");
	kg_dialog_key(d, '\t');
	cr_assert_eq(d->focus, 1);
	type(d, "damaged");
	cr_assert_eq(kg_dialog_key(d, '\n'), KG_DLG_OK);
	cr_assert_str_eq(kg_dialog_value(d, 0), "2024-07-01");
	kg_dialog_free(&d);
}

Test(dialog, picker_filters_and_picks)
{
	struct kg_dialog *d = kg_dialog_new(KG_DLG_PICKER, 2, "Add a token");
	const char *labels[] = { "Gift card $5", "ExtraBucks $10", "Free coffee" };
	const char *ids[] = { "SKU-5", "SKU-10", "SKU-C" };

	kg_dialog_set_items(d, labels, ids, 3);
	cr_assert_str_eq(kg_dialog_picked(d), "SKU-5");
	cr_assert_eq(kg_dialog_key(d, KG_KEY_FN(KEY_DOWN)), KG_DLG_CONTINUE);
	cr_assert_str_eq(kg_dialog_picked(d), "SKU-10");
	cr_assert_eq(kg_dialog_key(d, 'j'), KG_DLG_FILTER, "letters are filter text");
	cr_assert_str_eq(kg_dialog_value(d, 0), "j");
	/* the caller refilters; the highlighted id stays when it is still there */
	kg_dialog_set_items(d, labels + 1, ids + 1, 2);
	cr_assert_str_eq(kg_dialog_picked(d), "SKU-10");
	kg_dialog_set_items(d, NULL, NULL, 0);
	cr_assert_null(kg_dialog_picked(d));
	cr_assert_eq(kg_dialog_key(d, '\n'), KG_DLG_CONTINUE);
	cr_assert_not_null(d->error);
	kg_dialog_set_items(d, labels, ids, 1);
	cr_assert_eq(kg_dialog_key(d, '\n'), KG_DLG_OK);
	cr_assert_str_eq(kg_dialog_picked(d), "SKU-5");
	kg_dialog_free(&d);
}

Test(dialog, confirm_y_n)
{
	struct kg_dialog *d = kg_dialog_new(KG_DLG_CONFIRM, 3, "Remove?");

	kg_dialog_set_text(d, "Remove tok_1 \x1b[31mred\x1b[0m?");
	cr_assert_null(strchr(d->text, 0x1b));
	cr_assert_eq(kg_dialog_key(d, 'x'), KG_DLG_CONTINUE);
	cr_assert_eq(kg_dialog_key(d, 'n'), KG_DLG_CANCEL);
	cr_assert_eq(kg_dialog_key(d, 'y'), KG_DLG_OK);
	cr_assert_eq(kg_dialog_key(d, '\n'), KG_DLG_OK);
	kg_dialog_free(&d);
}
