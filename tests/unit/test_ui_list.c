#include <criterion/criterion.h>

#include "kigo/ui_list.h"

static int
ndirty(const struct kg_list *l)
{
	int i, n = 0;

	for (i = 0; i < l->height; i++)
		n += kg_list_row_dirty(l, i);
	return n;
}

Test(list, empty_list_is_inert)
{
	struct kg_list l;

	kg_list_init(&l);
	kg_list_set_height(&l, 5);
	cr_assert_not(kg_list_move(&l, KG_LIST_DOWN));
	cr_assert_not(kg_list_move(&l, KG_LIST_BOTTOM));
	cr_assert_eq(l.sel, 0);
	cr_assert_eq(kg_list_row_at(&l, 0), (size_t)-1);
	kg_list_clear(&l);
}

Test(list, zero_height)
{
	struct kg_list l;

	kg_list_init(&l);
	kg_list_set_height(&l, 0);
	kg_list_set_count(&l, 10);
	cr_assert(kg_list_move(&l, KG_LIST_DOWN));
	cr_assert_eq(l.sel, 1);
	cr_assert_eq(l.top, 1);
	kg_list_clear(&l);
}

Test(list, moving_one_row_damages_two_rows)
{
	struct kg_list l;

	kg_list_init(&l);
	kg_list_set_height(&l, 10);
	kg_list_set_count(&l, 100);
	kg_list_clean(&l);
	cr_assert(kg_list_move(&l, KG_LIST_DOWN));
	cr_assert_eq(ndirty(&l), 2);
	cr_assert(kg_list_row_dirty(&l, 0));
	cr_assert(kg_list_row_dirty(&l, 1));
	kg_list_clean(&l);
	cr_assert_not(kg_list_any_dirty(&l));
	kg_list_clear(&l);
}

Test(list, scrolling_keeps_selection_visible)
{
	struct kg_list l;
	int i;

	kg_list_init(&l);
	kg_list_set_height(&l, 10);
	kg_list_set_count(&l, 100);
	for (i = 0; i < 9; i++)
		kg_list_move(&l, KG_LIST_DOWN);
	cr_assert_eq(l.sel, 9);
	cr_assert_eq(l.top, 0);
	kg_list_clean(&l);
	kg_list_move(&l, KG_LIST_DOWN);
	cr_assert_eq(l.sel, 10);
	cr_assert_eq(l.top, 1);
	cr_assert_eq(ndirty(&l), 10); /* a scroll repaints the window */
	cr_assert_eq(kg_list_row_at(&l, 9), 10);
	kg_list_clear(&l);
}

Test(list, pages_and_ends)
{
	struct kg_list l;

	kg_list_init(&l);
	kg_list_set_height(&l, 10);
	kg_list_set_count(&l, 95);
	kg_list_move(&l, KG_LIST_PGDN);
	cr_assert_eq(l.sel, 9); /* a page is height - 1 rows: one row of context */
	kg_list_move(&l, KG_LIST_PGDN);
	cr_assert_eq(l.sel, 18);
	cr_assert_eq(l.top, 9);
	kg_list_move(&l, KG_LIST_BOTTOM);
	cr_assert_eq(l.sel, 94);
	cr_assert_eq(l.top, 85);
	kg_list_move(&l, KG_LIST_PGDN);
	cr_assert_eq(l.sel, 94);
	kg_list_move(&l, KG_LIST_PGUP);
	cr_assert_eq(l.sel, 85);
	cr_assert_eq(l.top, 85);
	kg_list_move(&l, KG_LIST_TOP);
	cr_assert_eq(l.sel, 0);
	cr_assert_eq(l.top, 0);
	cr_assert_not(kg_list_move(&l, KG_LIST_UP));
	kg_list_clear(&l);
}

Test(list, shrinking_model_and_window_clamps)
{
	struct kg_list l;

	kg_list_init(&l);
	kg_list_set_height(&l, 10);
	kg_list_set_count(&l, 50);
	kg_list_select(&l, 40);
	kg_list_set_count(&l, 12);
	cr_assert_eq(l.sel, 11);
	cr_assert_eq(l.top, 2);
	kg_list_set_height(&l, 20); /* no empty space below when there is more above */
	cr_assert_eq(l.top, 0);
	kg_list_set_height(&l, 3);
	cr_assert(l.sel >= l.top && l.sel < l.top + 3);
	kg_list_set_count(&l, 0);
	cr_assert_eq(l.sel, 0);
	cr_assert_eq(l.top, 0);
	kg_list_clear(&l);
}

Test(list, touch_outside_window_is_ignored)
{
	struct kg_list l;

	kg_list_init(&l);
	kg_list_set_height(&l, 5);
	kg_list_set_count(&l, 50);
	kg_list_clean(&l);
	kg_list_touch(&l, 30);
	cr_assert_not(kg_list_any_dirty(&l));
	kg_list_touch(&l, 4);
	cr_assert(kg_list_row_dirty(&l, 4));
	kg_list_clear(&l);
}
