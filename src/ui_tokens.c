/*
 * ui_tokens.c - the selected customer's tokens in inventory order (active
 * first, then by expiry): id, name, status, expiry.  The status shows as a
 * word and in colour, so it reads on a monochrome terminal.
 *
 * The actions x, e, d and o act on the row highlighted here.
 */
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <stdio.h>
#include <stdlib.h>

#define ID_W 14
#define STATUS_W 9
#define DATE_W 10

static void
tokens_recalc(struct kg_pane *p)
{
	const struct kg_token *v;

	kg_list_set_count(&p->list, kg_session_tokens(p->ui->s, &v));
}

static int
name_width(const struct kg_pane *p)
{
	int w = p->r.w - 1 - ID_W - 1 - STATUS_W - 1 - DATE_W - 1;

	return w < 4 ? 4 : w;
}

static void
tokens_frame(struct kg_pane *p)
{
	struct kg_ui *ui = p->ui;
	const struct kg_customer *c = kg_session_customer(ui->s);
	const struct kg_token *v;
	size_t n = kg_session_tokens(ui->s, &v);
	char extra[64], age[24], *title, *hdr;

	if (c == NULL) {
		kg_ui_title(p, "Tokens", "(no customer open: / search, Enter opens)");
	} else {
		if (kg_session_tokens_age(ui->s) > 0) {
			kg_ui_age(kg_session_tokens_age(ui->s), age, sizeof(age));
			snprintf(extra, sizeof(extra), "(%zu, cached %s)", n, age);
		} else {
			snprintf(extra, sizeof(extra), "(%zu)", n);
		}
		title = kg_xasprintf("Tokens of %s", c->name ? c->name : c->id);
		kg_ui_title(p, title, extra);
		free(title);
	}
	hdr = kg_xasprintf(" %-*s %-*s %-*s %-*s", ID_W, "ID", name_width(p), "NAME", STATUS_W,
	                   "STATUS", DATE_W, "EXPIRES");
	kg_ui_put(ui, p->win, 1, 0, hdr, p->r.w, KG_TEXT_PAD, KG_ROLE_HEADER);
	free(hdr);
}

static void
tokens_row(struct kg_pane *p, int y, size_t row, bool selected)
{
	struct kg_ui *ui = p->ui;
	const struct kg_token *v;
	size_t n = kg_session_tokens(ui->s, &v);
	enum kg_role role, srole;
	int x, nw = name_width(p);

	if (row == (size_t)-1 || row >= n) {
		kg_ui_put(ui, p->win, y, 0, "", p->r.w, KG_TEXT_PAD, KG_ROLE_NORMAL);
		return;
	}
	/*
	 * The selection is the marker and the id, not the whole row: moving it
	 * then rewrites about 30 cells, which matters over a slow SSH link.
	 */
	role = selected ? (p->focused ? KG_ROLE_SELECTED : KG_ROLE_SELECTED_DIM) : KG_ROLE_NORMAL;
	/* active is the usual status: its word alone; colour marks the others */
	srole = v[row].status == KG_TOKEN_ACTIVE ? KG_ROLE_NORMAL : kg_ui_token_role(v[row].status);
	kg_ui_put(ui, p->win, y, 0, selected ? (ui->utf8 ? "\xe2\x96\xb8" : ">") : " ", 1, 0, role);
	x = 1;
	kg_ui_put(ui, p->win, y, x, v[row].id, ID_W, KG_TEXT_PAD, role);
	kg_ui_put(ui, p->win, y, x + ID_W, " ", 1, 0, KG_ROLE_NORMAL);
	x += ID_W + 1;
	role = KG_ROLE_NORMAL;
	kg_ui_put(ui, p->win, y, x, v[row].name ? v[row].name : v[row].sku, nw + 1, KG_TEXT_PAD,
	          role);
	x += nw + 1;
	kg_ui_put(ui, p->win, y, x, kg_token_status_str(v[row].status), STATUS_W + 1, KG_TEXT_PAD,
	          srole);
	x += STATUS_W + 1;
	kg_ui_put(ui, p->win, y, x, v[row].expires_at ? v[row].expires_at : "-", p->r.w - x,
	          KG_TEXT_PAD, role);
}

const struct kg_pane_ops kg_pane_tokens = {
	.name = "tokens",
	.id = KG_PANE_TOKENS,
	.focusable = true,
	.changes = KG_CHG_TOKENS | KG_CHG_CUSTOMERS,
	.busy = KG_BUSY_TOKENS | KG_BUSY_ACTION,
	.header_rows = 2,
	.recalc = tokens_recalc,
	.draw_frame = tokens_frame,
	.draw_row = tokens_row,
};
