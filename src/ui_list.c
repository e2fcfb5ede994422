/*
 * ui_list.c - selection, scrolling and row damage for the list panes.
 *
 * The invariant kept by every function: sel < count (or sel == 0 when
 * empty) and top <= sel < top + height.  Moving without scrolling damages
 * only the old and the new row; any scroll damages the whole window, as
 * every visible row then shows another model row.
 */
#include "kigo/ui_list.h"

#include "kigo/common.h"

#include <stdlib.h>
#include <string.h>

void
kg_list_init(struct kg_list *l)
{
	memset(l, 0, sizeof(*l));
	l->all_dirty = true;
}

void
kg_list_clear(struct kg_list *l)
{
	free(l->dirty);
	memset(l, 0, sizeof(*l));
}

static void
clamp(struct kg_list *l)
{
	size_t h = l->height > 0 ? (size_t)l->height : 1;

	if (l->count == 0) {
		l->sel = 0;
		l->top = 0;
		return;
	}
	if (l->sel >= l->count)
		l->sel = l->count - 1;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + h)
		l->top = l->sel - h + 1;
	/* no empty space below the last row when there is more above */
	if (l->top + h > l->count)
		l->top = l->count > h ? l->count - h : 0;
}

void
kg_list_set_height(struct kg_list *l, int height)
{
	if (height < 0)
		height = 0;
	if (height > l->dirty_cap) {
		l->dirty = kg_xrealloc(l->dirty, (size_t)height);
		l->dirty_cap = height;
	}
	l->height = height;
	clamp(l);
	kg_list_touch_all(l);
}

void
kg_list_set_count(struct kg_list *l, size_t count)
{
	l->count = count;
	clamp(l);
	kg_list_touch_all(l);
}

void
kg_list_touch(struct kg_list *l, size_t row)
{
	if (row < l->top || row >= l->top + (size_t)l->height)
		return;
	l->dirty[row - l->top] = 1;
}

void
kg_list_touch_all(struct kg_list *l)
{
	l->all_dirty = true;
}

bool
kg_list_select(struct kg_list *l, size_t i)
{
	size_t osel = l->sel, otop = l->top;

	if (l->count == 0)
		return false;
	if (i >= l->count)
		i = l->count - 1;
	l->sel = i;
	clamp(l);
	if (l->top != otop) {
		kg_list_touch_all(l);
	} else if (l->sel != osel) {
		kg_list_touch(l, osel);
		kg_list_touch(l, l->sel);
	}
	return l->sel != osel || l->top != otop;
}

bool
kg_list_move(struct kg_list *l, enum kg_list_move m)
{
	size_t page = l->height > 1 ? (size_t)l->height - 1 : 1;
	size_t i = l->sel;

	if (l->count == 0)
		return false;
	switch (m) {
	case KG_LIST_UP:
		i = i > 0 ? i - 1 : 0;
		break;
	case KG_LIST_DOWN:
		i = i + 1;
		break;
	case KG_LIST_PGUP:
		i = i > page ? i - page : 0;
		break;
	case KG_LIST_PGDN:
		i = i + page;
		break;
	case KG_LIST_TOP:
		i = 0;
		break;
	case KG_LIST_BOTTOM:
		i = l->count - 1;
		break;
	}
	return kg_list_select(l, i);
}

bool
kg_list_row_dirty(const struct kg_list *l, int vrow)
{
	if (vrow < 0 || vrow >= l->height)
		return false;
	return l->all_dirty || l->dirty[vrow];
}

bool
kg_list_any_dirty(const struct kg_list *l)
{
	int i;

	if (l->all_dirty)
		return true;
	for (i = 0; i < l->height; i++)
		if (l->dirty[i])
			return true;
	return false;
}

void
kg_list_clean(struct kg_list *l)
{
	l->all_dirty = false;
	if (l->dirty != NULL && l->height > 0)
		memset(l->dirty, 0, (size_t)l->height);
}

size_t
kg_list_row_at(const struct kg_list *l, int vrow)
{
	size_t r;

	if (vrow < 0 || vrow >= l->height)
		return (size_t)-1;
	r = l->top + (size_t)vrow;
	return r < l->count ? r : (size_t)-1;
}
