/*
 * ui_banner.c - the ticket banner, always on top: number, priority, state,
 * caller, data age and online/offline on the first row, the short
 * description (cut with an ellipsis, never wrapped) on the second.
 *
 * Draws only from the session; never asks for anything.
 */
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "P2" from the raw priority, or the label when it is not a number. */
static void
priority(const struct kg_ticket *t, char *out, size_t n)
{
	if (t->priority != NULL && t->priority[0] >= '0' && t->priority[0] <= '9' &&
	    strlen(t->priority) <= 2)
		snprintf(out, n, "P%s", t->priority);
	else
		snprintf(out, n, "%s", t->priority_label ? t->priority_label : "P?");
}

static void
banner_frame(struct kg_pane *p)
{
	struct kg_ui *ui = p->ui;
	const struct kg_ticket *t = kg_session_ticket(ui->s);
	bool online = kg_session_online(ui->s);
	const char *spin = kg_ui_spinner(ui, p->ops->busy);
	char pr[32], age[32], *left, *right, *desc;
	int rw;

	if (t == NULL) {
		left = kg_xasprintf(" Loading the ticket %s", spin);
		age[0] = '\0';
	} else {
		priority(t, pr, sizeof(pr));
		left = kg_xasprintf(" %s  %s  %s  Caller: %s", t->number ? t->number : "?", pr,
		                    t->state_label ? t->state_label : t->state ? t->state : "?",
		                    t->caller_name ? t->caller_name : "(none)");
		if (kg_session_ticket_age(ui->s) > 0) {
			char a[24];

			kg_ui_age(kg_session_ticket_age(ui->s), a, sizeof(a));
			snprintf(age, sizeof(age), "cached %s", a);
		} else {
			snprintf(age, sizeof(age), "fresh");
		}
	}
	right = kg_xasprintf("%s%s%s  %s ", *spin && t != NULL ? spin : "",
	                     *spin && t != NULL ? " " : "", age, online ? "online" : "OFFLINE");
	rw = kg_text_width(right);
	/* the right side (age, online) always shows; the facts give way */
	kg_ui_put(ui, p->win, 0, 0, left, p->r.w - rw, KG_TEXT_PAD, KG_ROLE_BANNER);
	kg_ui_put(ui, p->win, 0, p->r.w - rw, right, rw, 0,
	          online ? KG_ROLE_BANNER : KG_ROLE_BANNER_KEY);
	desc = kg_xasprintf(" \"%s\"", t && t->short_description ? t->short_description : "");
	kg_ui_put(ui, p->win, 1, 0, t ? desc : "", p->r.w, KG_TEXT_PAD, KG_ROLE_BANNER);
	free(desc);
	free(left);
	free(right);
}

const struct kg_pane_ops kg_pane_banner = {
	.name = "banner",
	.id = KG_PANE_BANNER,
	.focusable = false,
	.changes = KG_CHG_TICKET | KG_CHG_STATUS,
	.busy = KG_BUSY_TICKET,
	.header_rows = 2,
	.draw_frame = banner_frame,
};
