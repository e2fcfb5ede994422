#include <criterion/criterion.h>
#include <qrencode.h>
#include <string.h>

#include "kigo/qr.h"
#include "kigo/text.h"

/* Read the module at (x, y) back from the half-block lines. */
static bool
cell_ink(const struct kg_qr *q, int x, int y)
{
	const char *s = q->lines[y / 2];
	int i;

	for (i = 0; i < x; i++)
		s += (*s == ' ') ? 1 : 3;
	if (*s == ' ')
		return false;
	if (strncmp(s, "\xe2\x96\x88", 3) == 0)
		return true;
	if (strncmp(s, "\xe2\x96\x80", 3) == 0)
		return y % 2 == 0;
	cr_assert(strncmp(s, "\xe2\x96\x84", 3) == 0, "unexpected glyph");
	return y % 2 == 1;
}

Test(qr, empty_is_refused)
{
	struct kg_qr q;
	char *cause = NULL;

	cr_assert_eq(kg_qr_render("", 2, 0, &q, &cause), KG_ERR_BAD_INPUT);
	cr_assert_not_null(cause);
	free(cause);
	cr_assert_eq(q.n, 0);
}

Test(qr, too_long_is_refused)
{
	struct kg_qr q;
	char *cause = NULL;
	char *big = malloc(5000);

	memset(big, 'A', 4999);
	big[4999] = '\0';
	cr_assert_eq(kg_qr_render(big, 2, 0, &q, &cause), KG_ERR_BAD_INPUT);
	cr_assert_not_null(strstr(cause, "QR"));
	free(cause);
	free(big);
}

Test(qr, known_string_round_trips)
{
	const char *url = "https://idp.example.com/activate?user_code=WDJB-MJHT";
	QRcode *ref = QRcode_encodeString8bit(url, 0, QR_ECLEVEL_M);
	struct kg_qr q;
	int x, y, quiet = 2;
	size_t i;

	cr_assert_not_null(ref);
	cr_assert_eq(kg_qr_render(url, quiet, KG_QR_DARK_BLOCKS, &q, NULL), KG_ERR_OK);
	cr_assert_eq(q.modules, ref->width);
	cr_assert_eq(q.width, ref->width + 2 * quiet);
	cr_assert_eq(q.n, (size_t)(q.width + 1) / 2);
	for (i = 0; i < q.n; i++)
		cr_assert_eq(kg_text_width(q.lines[i]) >= 0, 1);
	for (y = 0; y < q.width; y++)
		for (x = 0; x < q.width; x++) {
			int mx = x - quiet, my = y - quiet;
			bool dark = mx >= 0 && my >= 0 && mx < ref->width && my < ref->width &&
			            (ref->data[my * ref->width + mx] & 1);
			cr_assert_eq(cell_ink(&q, x, y), dark, "module %d,%d", x, y);
		}
	/* the finder pattern's top edge: 7 dark modules from the corner */
	for (x = quiet; x < quiet + 7; x++)
		cr_assert(cell_ink(&q, x, quiet));
	kg_qr_clear(&q);
	QRcode_free(ref);
}

Test(qr, default_draws_light_modules)
{
	struct kg_qr q;

	cr_assert_eq(kg_qr_render("HELLO", 1, 0, &q, NULL), KG_ERR_OK);
	cr_assert_eq(q.modules, 21); /* version 1 */
	/* column 0 is all quiet zone (light: a full block); at column 1 the quiet
	 * row above the dark finder edge: upper half only */
	cr_assert_eq(strncmp(q.lines[0], "\xe2\x96\x88\xe2\x96\x80", 6), 0);
	kg_qr_clear(&q);
}
