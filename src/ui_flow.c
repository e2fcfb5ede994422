/*
 * ui_flow.c - the dialogs behind each action key: a (catalog picker,
 * expiry, reason), x (reason, confirm), e (new expiry, reason), d (reason),
 * o (note, resolve dispute, extend), n (new customer), R (summary preview,
 * y sends), q with unsynced actions (warn), and what comes back: a 412
 * "what changed" view, a 409 "customer exists", errors.
 *
 * Nothing reaches the session before the last dialog is confirmed, so Esc
 * at any step changes nothing.  The session checks every action
 * (kg_session_check_action) before it is sent; its sentence shows in the
 * dialog and the agent fixes the field.
 */
#include "kigo/buf.h"
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum step {
	ST_PICK = 1,     /* ADD: catalog */
	ST_DETAILS,      /* the fields of the action */
	ST_CONFIRM,      /* REMOVE: y/n */
	ST_OTHER_KIND,   /* OTHER: which */
	ST_NEW,          /* NEW_CUSTOMER form */
	ST_PREVIEW,      /* RETURN: the summary */
	ST_SENDING,      /* RETURN: waiting for ServiceNow */
	ST_NOT_SENT,     /* RETURN failed */
	ST_QUIT,         /* q with unsynced actions */
	ST_INFO,         /* a message: Enter or Esc closes */
	ST_EXISTS,       /* 409 on create: open the existing one? */
};

static void
close_dialog(struct kg_ui *ui)
{
	if (ui->dlg != NULL)
		ui->flags |= KG_UI_EXPOSE; /* what it covered shows again */
	kg_dialog_free(&ui->dlg);
	ui->dlg_dirty = true;
}

void
kg_flow_clear(struct kg_ui *ui)
{
	struct kg_flow *f = &ui->flow;
	struct kg_token *sent = f->sent;

	close_dialog(ui);
	kg_token_free(&f->token);
	free(f->customer_id);
	free(f->sku);
	free(f->sku_name);
	free(f->expires);
	free(f->reason);
	memset(f, 0, sizeof(*f));
	f->sent = sent;
}

static void
open_dialog(struct kg_ui *ui, struct kg_dialog *d)
{
	if (ui->dlg != NULL)
		ui->flags |= KG_UI_EXPOSE;
	kg_dialog_free(&ui->dlg);
	ui->dlg = d;
	ui->dlg_dirty = true;
}

static void
today(char out[11])
{
	kg_date_from_time(kg_wall_now(), out);
}

/* The highlighted token, or NULL with a notice saying what to do. */
static const struct kg_token *
selected_token(struct kg_ui *ui)
{
	const struct kg_token *v;
	size_t n = kg_session_tokens(ui->s, &v);
	size_t sel = ui->pane[KG_PANE_TOKENS].list.sel;

	if (n == 0 || sel >= n) {
		kg_ui_notice(ui, kg_session_customer(ui->s) == NULL
		                     ? "Open a customer first: / to search, Enter to open."
		                     : "This customer has no token to act on: a adds one.");
		return NULL;
	}
	return &v[sel];
}

static char *
token_line(const struct kg_token *t)
{
	return kg_xasprintf("%s  %s  (%s, expires %s)", t->id, t->name ? t->name : t->sku,
	                    kg_token_status_str(t->status), t->expires_at ? t->expires_at : "never");
}

/* Catalog rows for the picker, filtered by what was typed. */
static void
fill_catalog(struct kg_ui *ui)
{
	struct kg_catalog_item *v = NULL;
	size_t n, i;
	const char **labels, **ids;
	char **own;

	if (ui->dlg == NULL || ui->dlg->tag != ST_PICK)
		return;
	n = kg_session_catalog(ui->s, kg_dialog_value(ui->dlg, 0), &v);
	labels = kg_xcalloc(n + 1, sizeof(*labels));
	ids = kg_xcalloc(n + 1, sizeof(*ids));
	own = kg_xcalloc(n + 1, sizeof(*own));
	for (i = 0; i < n; i++) {
		own[i] = v[i].default_validity_days > 0
		             ? kg_xasprintf("%s  (%s, valid %d days)", v[i].name ? v[i].name : v[i].sku,
		                            v[i].sku, v[i].default_validity_days)
		             : kg_xasprintf("%s  (%s)", v[i].name ? v[i].name : v[i].sku, v[i].sku);
		labels[i] = own[i];
		ids[i] = v[i].sku;
	}
	kg_dialog_set_items(ui->dlg, labels, ids, n);
	if (n > 0)
		kg_dialog_set_error(ui->dlg, NULL);
	for (i = 0; i < n; i++)
		free(own[i]);
	free(own);
	free(labels);
	free(ids);
	kg_catalog_free(&v, n);
	ui->dlg_dirty = true;
}

void
kg_flow_catalog(struct kg_ui *ui)
{
	fill_catalog(ui);
}

/* Validity days and name of a SKU from the catalog; 0 when unknown. */
static int
sku_validity(struct kg_ui *ui, const char *sku, char **name)
{
	struct kg_catalog_item *v = NULL;
	size_t n, i;
	int days = 0;

	n = kg_session_catalog(ui->s, sku, &v);
	for (i = 0; i < n; i++)
		if (kg_streq(v[i].sku, sku)) {
			days = v[i].default_validity_days;
			if (name != NULL)
				*name = kg_xstrdup(v[i].name);
		}
	kg_catalog_free(&v, n);
	return days;
}

static struct kg_dialog *
reason_dialog(const char *title, const char *text, bool required)
{
	struct kg_dialog *d = kg_dialog_new(KG_DLG_FORM, ST_DETAILS, title);

	kg_dialog_set_text(d, text);
	kg_dialog_add_field(d, "Reason", "", required ? KG_FIELD_REQUIRED : 0);
	return d;
}

enum kg_ui_next
kg_flow_start(struct kg_ui *ui, enum kg_ui_action a)
{
	struct kg_flow *f = &ui->flow;
	const struct kg_token *t = NULL;
	const struct kg_customer *c = kg_session_customer(ui->s);
	struct kg_dialog *d = NULL;
	char day[11], def[11], *line = NULL, *preview;

	kg_flow_clear(ui);
	today(day);
	if (a == KG_UA_REMOVE || a == KG_UA_REISSUE || a == KG_UA_DISPUTE || a == KG_UA_OTHER) {
		t = selected_token(ui);
		if (t == NULL)
			return KG_NEXT_BELL | KG_NEXT_REPAINT;
		f->token = kg_token_dup(t);
		line = token_line(t);
	}
	if (a == KG_UA_ADD && c == NULL) {
		kg_ui_notice(ui, "Open a customer first: / to search, Enter to open.");
		return KG_NEXT_BELL | KG_NEXT_REPAINT;
	}
	if (c != NULL)
		f->customer_id = kg_xstrdup(c->id);
	f->kind = a;
	switch (a) {
	case KG_UA_ADD:
		kg_session_load_catalog(ui->s);
		d = kg_dialog_new(KG_DLG_PICKER, ST_PICK, "Add a token: pick from the catalog");
		open_dialog(ui, d);
		fill_catalog(ui);
		break;
	case KG_UA_REMOVE:
		d = reason_dialog("Remove the selected token", line, true);
		break;
	case KG_UA_DISPUTE:
		d = reason_dialog("Dispute the selected token", line, true);
		break;
	case KG_UA_REISSUE: {
		int days = sku_validity(ui, t->sku, NULL);

		kg_date_add_days(day, days > 0 ? days : 90, def);
		d = kg_dialog_new(KG_DLG_FORM, ST_DETAILS, "Reissue the selected token");
		kg_dialog_set_text(d, line);
		kg_dialog_set_today(d, day);
		kg_dialog_add_field(d, "New expiry", def, KG_FIELD_DATE | KG_FIELD_REQUIRED);
		kg_dialog_add_field(d, "Reason", "", KG_FIELD_REQUIRED);
		break;
	}
	case KG_UA_OTHER: {
		static const char *const labels[] = { "Note: add a note to the record",
			                              "Resolve dispute: the dispute is settled",
			                              "Extend: a later expiry date" };
		static const char *const ids[] = { "note", "resolve", "extend" };

		d = kg_dialog_new(KG_DLG_PICKER, ST_OTHER_KIND, "Other action");
		kg_dialog_set_text(d, line);
		kg_dialog_set_items(d, labels, ids, 3);
		break;
	}
	case KG_UA_NEW_CUSTOMER:
		d = kg_dialog_new(KG_DLG_FORM, ST_NEW, "New customer");
		kg_dialog_add_field(d, "Name", "", KG_FIELD_REQUIRED);
		kg_dialog_add_field(d, "Email", "", 0);
		kg_dialog_add_field(d, "Phone", "", 0);
		kg_dialog_add_field(d, "Loyalty id", "", 0);
		break;
	case KG_UA_RETURN:
		preview = kg_session_summary_preview(ui->s);
		if (preview == NULL) {
			d = kg_dialog_new(KG_DLG_CONFIRM, ST_PREVIEW, "Return to ServiceNow");
			kg_dialog_set_text(d, "Nothing from this session to report to ServiceNow.\n"
			                      "Leave and print the ticket's link?");
		} else {
			d = kg_dialog_new(KG_DLG_TEXT, ST_PREVIEW,
			                  "Return to ServiceNow: this note will be added");
			kg_dialog_set_text(d, preview);
			free(preview);
		}
		break;
	case KG_UA_QUIT: {
		char *msg = kg_xasprintf(
			"%zu action%s from this session %s not in ServiceNow yet.\n"
			"They stay queued: R on this ticket, or `kigo-tui sync`, sends them later.\n"
			"Quit anyway?",
			kg_session_unsynced(ui->s), kg_session_unsynced(ui->s) == 1 ? "" : "s",
			kg_session_unsynced(ui->s) == 1 ? "is" : "are");

		d = kg_dialog_new(KG_DLG_CONFIRM, ST_QUIT, "Quit");
		kg_dialog_set_text(d, msg);
		free(msg);
		break;
	}
	default:
		break;
	}
	free(line);
	if (d != NULL && d != ui->dlg)
		open_dialog(ui, d);
	if (ui->dlg == NULL)
		kg_flow_clear(ui);
	return KG_NEXT_REPAINT;
}

/* Check with the session, then send; false (error shown) when refused. */
static bool
check_and_act(struct kg_ui *ui, struct kg_action_req *req, bool send)
{
	char *cause = NULL;
	enum kg_err err = kg_session_check_action(ui->s, req, &cause);

	if (err != KG_ERR_OK) {
		kg_dialog_set_error(ui->dlg, cause ? cause : kg_err_str(err));
		free(cause);
		return false;
	}
	free(cause);
	if (send) {
		kg_token_free(&ui->flow.sent);
		ui->flow.sent = kg_token_dup(ui->flow.token);
		kg_session_act(ui->s, req);
		kg_ui_notice(ui, "Sent: %s. Watch the activity pane for the result.",
		             kg_action_label(req->action));
	}
	return true;
}

static void
base_req(struct kg_flow *f, struct kg_action_req *r, enum kg_action a)
{
	memset(r, 0, sizeof(*r));
	r->action = a;
	if (f->token != NULL) {
		r->token_id = f->token->id;
		r->token_version = f->token->version;
	}
}

static enum kg_ui_next
details_ok(struct kg_ui *ui)
{
	struct kg_flow *f = &ui->flow;
	struct kg_dialog *d = ui->dlg;
	struct kg_action_req r;
	char *text;

	switch (f->kind) {
	case KG_UA_ADD:
		base_req(f, &r, KG_ACTION_ADD);
		r.sku = f->sku;
		r.expires_at = kg_str_empty(kg_dialog_value(d, 0)) ? NULL : kg_dialog_value(d, 0);
		r.reason = kg_str_empty(kg_dialog_value(d, 1)) ? NULL : kg_dialog_value(d, 1);
		break;
	case KG_UA_REMOVE:
		base_req(f, &r, KG_ACTION_REMOVE);
		r.reason = kg_dialog_value(d, 0);
		/* checked now, sent only after the y */
		if (!check_and_act(ui, &r, false))
			return KG_NEXT_REPAINT;
		f->reason = kg_xstrdup(r.reason);
		text = kg_xasprintf("Remove %s %s?\nReason: %s\n\ny removes it, n or Esc keeps it.",
		                    f->token->id, f->token->name ? f->token->name : f->token->sku,
		                    f->reason);
		open_dialog(ui, kg_dialog_new(KG_DLG_CONFIRM, ST_CONFIRM, "Remove the selected token"));
		kg_dialog_set_text(ui->dlg, text);
		free(text);
		return KG_NEXT_REPAINT;
	case KG_UA_REISSUE:
		base_req(f, &r, KG_ACTION_REISSUE);
		r.expires_at = kg_dialog_value(d, 0);
		r.reason = kg_dialog_value(d, 1);
		break;
	case KG_UA_DISPUTE:
		base_req(f, &r, KG_ACTION_DISPUTE);
		r.reason = kg_dialog_value(d, 0);
		break;
	case KG_UA_OTHER:
		base_req(f, &r, KG_ACTION_OTHER);
		r.other = f->other;
		if (f->other == KG_OTHER_EXTEND) {
			r.expires_at = kg_dialog_value(d, 0);
			r.note = kg_dialog_value(d, 1);
		} else {
			r.note = kg_dialog_value(d, 0);
		}
		if (kg_str_empty(r.note))
			r.note = NULL;
		break;
	default:
		kg_flow_clear(ui);
		return KG_NEXT_REPAINT;
	}
	if (!check_and_act(ui, &r, true))
		return KG_NEXT_REPAINT;
	kg_flow_clear(ui);
	return KG_NEXT_REPAINT;
}

static enum kg_ui_next
step_ok(struct kg_ui *ui)
{
	struct kg_flow *f = &ui->flow;
	struct kg_dialog *d = ui->dlg, *nd;
	struct kg_action_req r;
	char day[11], def[11];
	const char *id;

	today(day);
	switch (d->tag) {
	case ST_PICK:
		f->sku = kg_xstrdup(kg_dialog_picked(d));
		f->validity_days = sku_validity(ui, f->sku, &f->sku_name);
		nd = kg_dialog_new(KG_DLG_FORM, ST_DETAILS, "Add a token");
		{
			char *t = kg_xasprintf("%s (%s)", f->sku_name ? f->sku_name : f->sku, f->sku);

			kg_dialog_set_text(nd, t);
			free(t);
		}
		kg_dialog_set_today(nd, day);
		def[0] = '\0';
		if (f->validity_days > 0)
			kg_date_add_days(day, f->validity_days, def);
		kg_dialog_add_field(nd, "Expires", def, KG_FIELD_DATE);
		kg_dialog_add_field(nd, "Reason", "", 0);
		open_dialog(ui, nd);
		return KG_NEXT_REPAINT;
	case ST_OTHER_KIND:
		id = kg_dialog_picked(d);
		f->other = kg_streq(id, "extend")    ? KG_OTHER_EXTEND
		           : kg_streq(id, "resolve") ? KG_OTHER_RESOLVE_DISPUTE
		                                     : KG_OTHER_NOTE;
		nd = kg_dialog_new(KG_DLG_FORM, ST_DETAILS,
		                   f->other == KG_OTHER_EXTEND    ? "Other action: extend"
		                   : f->other == KG_OTHER_NOTE    ? "Other action: note"
		                                                  : "Other action: resolve dispute");
		kg_dialog_set_text(nd, d->text);
		kg_dialog_set_today(nd, day);
		if (f->other == KG_OTHER_EXTEND) {
			const char *base = f->token->expires_at && strcmp(f->token->expires_at, day) > 0
			                       ? f->token->expires_at
			                       : day;

			if (!kg_date_add_days(base, 30, def))
				kg_date_add_days(day, 30, def);
			kg_dialog_add_field(nd, "New expiry", def, KG_FIELD_DATE | KG_FIELD_REQUIRED);
			kg_dialog_add_field(nd, "Note", "", 0);
		} else {
			kg_dialog_add_field(nd, "Note", "",
			                    f->other == KG_OTHER_NOTE ? KG_FIELD_REQUIRED : 0);
		}
		open_dialog(ui, nd);
		return KG_NEXT_REPAINT;
	case ST_DETAILS:
		return details_ok(ui);
	case ST_CONFIRM:
		base_req(f, &r, KG_ACTION_REMOVE);
		r.reason = f->reason;
		check_and_act(ui, &r, true);
		kg_flow_clear(ui);
		return KG_NEXT_REPAINT;
	case ST_NEW: {
		struct kg_new_customer c = {
			.name = kg_dialog_value(d, 0),
			.email = kg_str_empty(kg_dialog_value(d, 1)) ? NULL : kg_dialog_value(d, 1),
			.phone = kg_str_empty(kg_dialog_value(d, 2)) ? NULL : kg_dialog_value(d, 2),
			.loyalty_id = kg_str_empty(kg_dialog_value(d, 3)) ? NULL : kg_dialog_value(d, 3),
		};

		kg_session_create_customer(ui->s, &c);
		kg_ui_notice(ui, "Creating the customer...");
		kg_flow_clear(ui);
		return KG_NEXT_REPAINT;
	}
	case ST_PREVIEW:
		if (d->kind == KG_DLG_CONFIRM) {
			/* nothing to report: leave with the link */
			ui->state = KG_UI_RETURNED;
			kg_flow_clear(ui);
			return KG_NEXT_NONE;
		}
		kg_session_return(ui->s);
		f->waiting = true;
		nd = kg_dialog_new(KG_DLG_CONFIRM, ST_SENDING, "Return to ServiceNow");
		kg_dialog_set_text(nd, "Sending the summary to ServiceNow...\n"
		                       "Esc goes back to the ticket; the summary stays queued.");
		open_dialog(ui, nd);
		return KG_NEXT_REPAINT;
	case ST_SENDING:
		return KG_NEXT_NONE; /* y does nothing while it is on its way */
	case ST_NOT_SENT:
	case ST_QUIT:
		kg_flow_clear(ui);
		return KG_NEXT_QUIT;
	case ST_EXISTS:
		if (f->customer_id != NULL)
			kg_session_select_customer(ui->s, f->customer_id);
		kg_flow_clear(ui);
		return KG_NEXT_REPAINT;
	default:
		kg_flow_clear(ui);
		return KG_NEXT_REPAINT;
	}
}

enum kg_ui_next
kg_flow_key(struct kg_ui *ui, int key)
{
	enum kg_dlg_result r;

	if (ui->dlg == NULL) {
		kg_flow_clear(ui);
		return KG_NEXT_REPAINT;
	}
	r = kg_dialog_key(ui->dlg, key);
	switch (r) {
	case KG_DLG_CONTINUE:
		return KG_NEXT_REPAINT;
	case KG_DLG_FILTER:
		fill_catalog(ui);
		return KG_NEXT_REPAINT;
	case KG_DLG_CANCEL:
		/* a cancelled dialog changes nothing (a sending summary stays queued) */
		kg_flow_clear(ui);
		return KG_NEXT_REPAINT;
	case KG_DLG_OK:
		return step_ok(ui);
	}
	return KG_NEXT_NONE;
}

static void
info(struct kg_ui *ui, const char *title, const char *text)
{
	struct kg_dialog *d = kg_dialog_new(KG_DLG_TEXT, ST_INFO, title);

	kg_flow_clear(ui);
	kg_dialog_set_text(d, text);
	open_dialog(ui, d);
	ui->flow.kind = KG_UA_NONE;
}

/* The 412 view: what is different between what the agent saw and now. */
static void
conflict_view(struct kg_ui *ui, const struct kg_token *was, const struct kg_token *now,
              const char *message)
{
	struct kg_buf b;
	char *text;

	kg_buf_init(&b, 0);
	(void)kg_buf_printf(&b, "%s was changed by someone else after you opened it, so your "
	                        "action was not applied.\n\nWhat changed:\n",
	                    now->id);
	if (was->status != now->status)
		(void)kg_buf_printf(&b, "  status:  %s -> %s\n", kg_token_status_str(was->status),
		                    kg_token_status_str(now->status));
	if (!kg_streq(was->expires_at, now->expires_at))
		(void)kg_buf_printf(&b, "  expires: %s -> %s\n", was->expires_at ? was->expires_at : "-",
		                    now->expires_at ? now->expires_at : "-");
	if (!kg_streq(was->name, now->name))
		(void)kg_buf_printf(&b, "  name:    %s -> %s\n", was->name ? was->name : "-",
		                    now->name ? now->name : "-");
	if (!kg_streq(was->disputed_reason, now->disputed_reason))
		(void)kg_buf_printf(&b, "  dispute: %s -> %s\n",
		                    was->disputed_reason ? was->disputed_reason : "-",
		                    now->disputed_reason ? now->disputed_reason : "-");
	(void)kg_buf_printf(&b, "  version: %lld -> %lld\n\n", (long long)was->version,
	                    (long long)now->version);
	(void)kg_buf_printf(&b, "The list shows the token as it is now; act again if it is still "
	                        "needed.%s%s",
	                    message ? "\n" : "", message ? message : "");
	text = kg_buf_steal(&b);
	info(ui, "Changed by someone else", text);
	free(text);
}

void
kg_flow_result(struct kg_ui *ui)
{
	struct kg_result r;
	const struct kg_customer *open = kg_session_customer(ui->s);
	char *text;

	kg_session_result(ui->s, &r);
	switch (r.kind) {
	case KG_RESULT_NONE:
		return;
	case KG_RESULT_ACTION:
		if (r.err == KG_ERR_OK) {
			kg_ui_notice(ui, "%s", r.message ? r.message : "Done.");
		} else if (r.err == KG_ERR_PRECONDITION && r.current != NULL && ui->flow.sent != NULL &&
		           kg_streq(r.current->id, ui->flow.sent->id) && ui->dlg == NULL && open &&
		           kg_streq(open->id, r.current->customer_id)) {
			conflict_view(ui, ui->flow.sent, r.current, r.message);
		} else if (r.err == KG_ERR_INVALID_TRANSITION && r.allowed != NULL) {
			kg_ui_notice(ui, "%s (allowed now: %s)", r.message ? r.message : kg_err_str(r.err),
			             r.allowed);
		} else {
			/* a result for something the agent left: just say it */
			kg_ui_notice(ui, "%s", r.message ? r.message : kg_err_str(r.err));
		}
		kg_token_free(&ui->flow.sent);
		break;
	case KG_RESULT_CUSTOMER:
		if (r.err == KG_ERR_CONFLICT && r.existing_customer_id != NULL && ui->dlg == NULL) {
			struct kg_dialog *d = kg_dialog_new(KG_DLG_CONFIRM, ST_EXISTS, "Customer exists");

			text = kg_xasprintf("A customer with these details already exists (%s).\n"
			                    "%s\nOpen it?",
			                    r.existing_customer_id, r.message ? r.message : "");
			kg_dialog_set_text(d, text);
			free(text);
			kg_flow_clear(ui);
			ui->flow.kind = KG_UA_NEW_CUSTOMER;
			ui->flow.customer_id = kg_xstrdup(r.existing_customer_id);
			open_dialog(ui, d);
		} else {
			kg_ui_notice(ui, "%s", r.message ? r.message
			                                 : r.err == KG_ERR_OK ? "Customer created."
			                                                      : kg_err_str(r.err));
		}
		break;
	case KG_RESULT_RETURN:
		if (ui->flow.kind != KG_UA_RETURN || !ui->flow.waiting) {
			kg_ui_notice(ui, "%s", r.message ? r.message : kg_err_str(r.err));
			break;
		}
		if (r.err == KG_ERR_OK) {
			kg_flow_clear(ui);
			ui->state = KG_UI_RETURNED;
			break;
		}
		text = kg_xasprintf("The summary was not sent.\n\n%s\n\nIt stays queued and is sent by "
		                    "the next R on this ticket or by `kigo-tui sync`.",
		                    r.message ? r.message : kg_err_str(r.err));
		kg_flow_clear(ui);
		ui->flow.kind = KG_UA_RETURN;
		open_dialog(ui, kg_dialog_new(KG_DLG_TEXT, ST_NOT_SENT, "Return to ServiceNow"));
		kg_dialog_set_text(ui->dlg, text);
		kg_dialog_set_hint(ui->dlg, "y or Enter: quit anyway   Esc: back to the ticket");
		free(text);
		break;
	}
	kg_ui_dirty(ui, KG_PANE_STATUS, KG_PF_FRAME);
}
