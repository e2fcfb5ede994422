#include <criterion/criterion.h>
#include <string.h>

#include "kigo/ui.h"

static void
check_tiles(const struct kg_ui_layout *L)
{
	const struct kg_rect *r[] = { &L->banner, &L->customers, &L->divider, &L->tokens,
	                              &L->activity, &L->status };
	static unsigned char cell[200][200];
	size_t i;
	int x, y;

	memset(cell, 0, sizeof(cell));
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		cr_assert(r[i]->w > 0 && r[i]->h > 0, "rect %zu empty", i);
		for (y = r[i]->y; y < r[i]->y + r[i]->h; y++)
			for (x = r[i]->x; x < r[i]->x + r[i]->w; x++) {
				cr_assert(x >= 0 && x < L->cols && y >= 0 && y < L->rows,
				          "rect %zu out of screen at %d,%d", i, x, y);
				cr_assert_eq(cell[y][x], 0, "rects overlap at %d,%d", x, y);
				cell[y][x] = 1;
			}
	}
	for (y = 0; y < L->rows; y++)
		for (x = 0; x < L->cols; x++)
			cr_assert_eq(cell[y][x], 1, "cell %d,%d not covered", x, y);
}

Test(layout, minimum_80x24)
{
	struct kg_ui_layout L;

	kg_ui_layout_compute(80, 24, &L);
	cr_assert_not(L.too_small);
	check_tiles(&L);
	cr_assert_eq(L.banner.y, 0);
	cr_assert_eq(L.banner.h, 2);
	cr_assert_eq(L.status.y, 22);
	cr_assert(L.customers.w >= 24);
	/* tokens: id, name, status word and a YYYY-MM-DD date fit side by side */
	cr_assert(L.tokens.w >= 50);
	/* title + column header + at least 10 token rows */
	cr_assert(L.tokens.h >= 12);
	cr_assert(L.activity.h >= 6);
}

Test(layout, large_132x43)
{
	struct kg_ui_layout L;

	kg_ui_layout_compute(132, 43, &L);
	cr_assert_not(L.too_small);
	check_tiles(&L);
	cr_assert_eq(L.status.y, 41);
	cr_assert_eq(L.customers.w, 40);
	cr_assert(L.tokens.h > 20);
	cr_assert(L.activity.h >= 10);
}

Test(layout, every_size_tiles)
{
	struct kg_ui_layout L;
	int c, r;

	for (c = 80; c <= 200; c += 7)
		for (r = 24; r <= 80; r += 5) {
			kg_ui_layout_compute(c, r, &L);
			cr_assert_not(L.too_small);
			check_tiles(&L);
		}
}

Test(layout, too_small)
{
	struct kg_ui_layout L;
	char *s;

	kg_ui_layout_compute(79, 24, &L);
	cr_assert(L.too_small);
	kg_ui_layout_compute(80, 23, &L);
	cr_assert(L.too_small);
	kg_ui_layout_compute(0, 0, &L);
	cr_assert(L.too_small);
	s = kg_ui_too_small_text(79, 23);
	cr_assert_str_eq(s, "terminal too small (need 80x24, have 79x23)");
	free(s);
}
