/*
 * ui_customers.c - the customer search pane: the query (typed into after
 * `/`), the matches, and which customer is open in the token pane.
 *
 * Enter opens the highlighted customer; moving does not, so scrolling
 * through matches sends nothing over the network.
 */
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <stdio.h>
#include <stdlib.h>

static void
customers_recalc(struct kg_pane *p)
{
	const struct kg_customer *v;

	kg_list_set_count(&p->list, kg_session_customers(p->ui->s, &v));
}

static void
customers_frame(struct kg_pane *p)
{
	struct kg_ui *ui = p->ui;
	const struct kg_customer *v;
	size_t n = kg_session_customers(ui->s, &v);
	char extra[32];
	const char *q;

	snprintf(extra, sizeof(extra), "(%zu)", n);
	kg_ui_title(p, "Customers", extra);
	if (ui->searching) {
		size_t start;
		int col, w = p->r.w - 3;

		kg_input_view(&ui->search, w, &start, &col);
		kg_ui_put(ui, p->win, 1, 0, "/ ", 2, 0, KG_ROLE_KEY);
		kg_ui_put(ui, p->win, 1, 2, kg_input_text(&ui->search) + start, p->r.w - 2,
		          KG_TEXT_PAD, KG_ROLE_FIELD);
		mvwchgat(p->win, 1, 2 + col, 1, ui->attr[KG_ROLE_FIELD] | A_REVERSE, 0, NULL);
	} else {
		char *line;

		q = kg_session_query(ui->s);
		line = kg_xasprintf("/ %s", q && *q ? q : "(press / to search)");
		kg_ui_put(ui, p->win, 1, 0, line, p->r.w, KG_TEXT_PAD,
		          q && *q ? KG_ROLE_NORMAL : KG_ROLE_DIM);
		free(line);
	}
}

static void
customers_row(struct kg_pane *p, int y, size_t row, bool selected)
{
	struct kg_ui *ui = p->ui;
	const struct kg_customer *v, *open = kg_session_customer(ui->s);
	enum kg_role role;
	char *line;
	int nw;

	if (row == (size_t)-1 || row >= kg_session_customers(ui->s, &v)) {
		kg_ui_put(ui, p->win, y, 0, "", p->r.w, KG_TEXT_PAD, KG_ROLE_NORMAL);
		return;
	}
	role = selected ? (p->focused ? KG_ROLE_SELECTED : KG_ROLE_SELECTED_DIM) : KG_ROLE_NORMAL;
	/* the open customer is marked, so it reads without colour */
	kg_ui_put(ui, p->win, y, 0,
	          open && kg_streq(open->id, v[row].id) ? (ui->utf8 ? "\xe2\x96\xb8" : ">") : " ",
	          1, 0, KG_ROLE_KEY);
	nw = kg_text_width(v[row].name ? v[row].name : v[row].id);
	if (nw > p->r.w - 1)
		nw = p->r.w - 1;
	kg_ui_put(ui, p->win, y, 1, v[row].name ? v[row].name : v[row].id, nw, 0, role);
	line = kg_xasprintf("  %s", v[row].email        ? v[row].email
	                            : v[row].loyalty_id ? v[row].loyalty_id
	                                                : "");
	kg_ui_put(ui, p->win, y, 1 + nw, line, p->r.w - 1 - nw, KG_TEXT_PAD, KG_ROLE_DIM);
	free(line);
}

static enum kg_ui_next
customers_action(struct kg_pane *p, enum kg_ui_action a)
{
	const struct kg_customer *v;
	size_t n = kg_session_customers(p->ui->s, &v);

	if (a != KG_UA_SELECT || n == 0 || p->list.sel >= n)
		return KG_NEXT_BELL;
	kg_session_select_customer(p->ui->s, v[p->list.sel].id);
	/* the open marker moves: every visible row may change */
	kg_list_touch_all(&p->list);
	return KG_NEXT_REPAINT;
}

const struct kg_pane_ops kg_pane_customers = {
	.name = "customers",
	.id = KG_PANE_CUSTOMERS,
	.focusable = true,
	.changes = KG_CHG_CUSTOMERS | KG_CHG_TOKENS,
	.busy = KG_BUSY_SEARCH,
	.header_rows = 2,
	.recalc = customers_recalc,
	.draw_frame = customers_frame,
	.draw_row = customers_row,
	.action = customers_action,
};
