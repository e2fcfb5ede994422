/*
 * ui_activity.c - this session's actions on the ticket, newest first, each
 * with its sync state, and a footer with the session's counts.  The states:
 * "to return" (done in Kigo, not yet in a summary: R sends it), "queued"
 * (in a summary waiting in the outbox: the status bar's "pending sync"),
 * "sent" (in the ticket's journal) and "failed" (with the reason).
 */
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
activity_recalc(struct kg_pane *p)
{
	const struct kg_activity_row *v;

	kg_list_set_count(&p->list, kg_session_activity(p->ui->s, &v));
}

static const char *
sync_word(enum kg_sync_state s, enum kg_role *role)
{
	switch (s) {
	case KG_SYNC_UNREPORTED:
		*role = KG_ROLE_WARN;
		return "to return";
	case KG_SYNC_QUEUED:
		*role = KG_ROLE_WARN;
		return "queued";
	case KG_SYNC_SENT:
		*role = KG_ROLE_GOOD;
		return "sent";
	case KG_SYNC_FAILED:
		*role = KG_ROLE_BAD;
		return "failed";
	}
	*role = KG_ROLE_NORMAL;
	return "?";
}

static void
activity_frame(struct kg_pane *p)
{
	struct kg_ui *ui = p->ui;
	const struct kg_activity_row *v;
	size_t n = kg_session_activity(ui->s, &v), i, cnt[4] = { 0 }, unknown;
	char *foot, *more;

	kg_ui_title(p, "Activity this session", "(newest first)");
	for (i = 0; i < n; i++)
		if ((unsigned)v[i].sync < 4)
			cnt[v[i].sync]++;
	/* actions Kigo has not answered readably are in no row yet: count them */
	unknown = kg_session_unknown_actions(ui->s);
	more = unknown == 0 ? kg_xstrdup("") : kg_xasprintf(", %zu unknown (r retries)", unknown);
	/* (the title says "this session": the counts fit 80 columns) */
	foot = kg_xasprintf(" %zu action%s, %zu to return, %zu queued, %zu sent, "
	                    "%zu failed%s",
	                    n, n == 1 ? "" : "s", cnt[KG_SYNC_UNREPORTED], cnt[KG_SYNC_QUEUED],
	                    cnt[KG_SYNC_SENT], cnt[KG_SYNC_FAILED], more);
	free(more);
	kg_ui_put(ui, p->win, p->r.h - 1, 0, foot, p->r.w, KG_TEXT_PAD, KG_ROLE_DIM);
	free(foot);
}

static void
activity_row(struct kg_pane *p, int y, size_t row, bool selected)
{
	struct kg_ui *ui = p->ui;
	const struct kg_activity_row *v;
	size_t n = kg_session_activity(ui->s, &v);
	const struct kg_activity *a;
	enum kg_role role, srole;
	char tm[6] = "--:--", *left, *state;
	int sw;

	if (row == (size_t)-1 || row >= n) {
		kg_ui_put(ui, p->win, y, 0, n == 0 && y == 1 ? " (nothing done yet)" : "", p->r.w,
		          KG_TEXT_PAD, KG_ROLE_DIM);
		return;
	}
	a = &v[row].act;
	if (a->at != NULL && strlen(a->at) >= 16)
		memcpy(tm, a->at + 11, 5);
	role = selected ? (p->focused ? KG_ROLE_SELECTED : KG_ROLE_SELECTED_DIM) : KG_ROLE_NORMAL;
	{
		const char *nm = a->after && a->after->name     ? a->after->name
		                 : a->before && a->before->name ? a->before->name
		                                                : NULL;

		left = kg_xasprintf(" %-15s %s%s%s%s%s", kg_action_label(a->action),
		                    a->token_id ? a->token_id : a->customer_id ? a->customer_id : "",
		                    nm ? " " : "", nm ? nm : "", a->reason ? " - " : "",
		                    a->reason ? a->reason : "");
	}
	state = kg_xasprintf(" %s%s%s ", sync_word(v[row].sync, &srole),
	                     v[row].sync == KG_SYNC_FAILED && v[row].sync_error ? ": " : "",
	                     v[row].sync == KG_SYNC_FAILED && v[row].sync_error ? v[row].sync_error
	                                                                        : "");
	sw = kg_text_width(state);
	if (sw > p->r.w / 2)
		sw = p->r.w / 2;
	/* the selection is the time column: cheap to move (see ui_tokens.c) */
	{
		char col[8];

		/* its own string: a prefix of a longer one would be cut with an ellipsis */
		snprintf(col, sizeof(col), " %s ", tm);
		kg_ui_put(ui, p->win, y, 0, col, 7, KG_TEXT_PAD, role);
	}
	kg_ui_put(ui, p->win, y, 7, left, p->r.w - sw - 7, KG_TEXT_PAD, KG_ROLE_NORMAL);
	kg_ui_put(ui, p->win, y, p->r.w - sw, state, sw, KG_TEXT_PAD, srole);
	free(left);
	free(state);
}

const struct kg_pane_ops kg_pane_activity = {
	.name = "activity",
	.id = KG_PANE_ACTIVITY,
	.focusable = true,
	.changes = KG_CHG_ACTIVITY,
	.busy = KG_BUSY_SYNC,
	.header_rows = 1,
	.footer_rows = 1,
	.recalc = activity_recalc,
	.draw_frame = activity_frame,
	.draw_row = activity_row,
};
