/*
 * outbox.c - the summary written back to ServiceNow, and its exactly-once
 * delivery.
 *
 * The text is for people reading the ticket: plain, aligned, no JSON, one
 * block per action, and a last line "kigo-sync-id: <uuid>" by which a
 * retried send is recognised.  Delivery is an outbox: the text is in the
 * store before the first byte goes out, and a send whose fate is unknown
 * (timeout, reset, 5xx after the body went out, or a crash) is followed by
 * a look into sys_journal_field before anything is sent again.  This module
 * must never send an item twice on purpose, never send an item it has not
 * stored, and never drop an item it could not confirm.
 */
#include "kigo/outbox.h"

#include "kigo/buf.h"
#include "kigo/config.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/sanitize.h"
#include "kigo/sn.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Width of the labels in an action block ("Activity:" plus padding). */
#define LABEL_W 10
/* PATCHes of one item within one flush, after which it waits for next time. */
#define MAX_SENDS 3
/* 429 waits within one flush, and the longest wait taken here. */
#define MAX_RATE_WAITS 3
#define MAX_RATE_WAIT_S 60
/* Pause before looking for an entry whose send timed out: let it land. */
#define CHECK_DELAY_MS 1000

char *
kg_outbox_new_sync_id(void)
{
	gchar *g = g_uuid_string_random();
	char *s = kg_xstrdup(g);

	g_free(g);
	return s;
}

/* One line of remote text: controls (newlines too) become spaces. */
static char *
clean(const char *s)
{
	return kg_sanitize_str(kg_str_empty(s) ? "-" : s);
}

static void
add_line(struct kg_buf *b, const char *label, const char *value)
{
	char *v = clean(value);

	kg_buf_printf(b, "   %-*s%s\n", LABEL_W, label, v);
	free(v);
}

/* "expired -> active", "active (unchanged)", "(new) -> active". */
static void
add_change(struct kg_buf *b, const char *label, const char *before, const char *after,
           bool is_new)
{
	char *x = clean(before), *y = clean(after);

	if (is_new)
		kg_buf_printf(b, "   %-*s(new) -> %s\n", LABEL_W, label, y);
	else if (after == NULL)
		kg_buf_printf(b, "   %-*s%s -> (not reported)\n", LABEL_W, label, x);
	else if (kg_streq(x, y))
		kg_buf_printf(b, "   %-*s%s (unchanged)\n", LABEL_W, label, x);
	else
		kg_buf_printf(b, "   %-*s%s -> %s\n", LABEL_W, label, x, y);
	free(x);
	free(y);
}

/* What an "other" action was, from what it changed. */
static const char *
other_title(const struct kg_activity *a)
{
	if (a->before != NULL && a->after != NULL) {
		if (a->before->status == KG_TOKEN_DISPUTED && a->after->status == KG_TOKEN_ACTIVE)
			return "Resolved the dispute on a token";
		if (!kg_streq(a->before->expires_at, a->after->expires_at))
			return "Extended a token";
	}
	return "Noted on a token";
}

static const char *
title_of(const struct kg_activity *a)
{
	switch (a->action) {
	case KG_ACTION_CREATE_CUSTOMER:
		return "Created a customer";
	case KG_ACTION_ADD:
		return "Added a token";
	case KG_ACTION_REMOVE:
		return "Removed a token";
	case KG_ACTION_REISSUE:
		return "Reissued a token";
	case KG_ACTION_DISPUTE:
		return "Disputed a token";
	case KG_ACTION_OTHER:
		return other_title(a);
	default:
		return "Other action";
	}
}

static void
add_action(struct kg_buf *b, size_t num, const struct kg_activity *a)
{
	const struct kg_token *tok = a->after != NULL ? a->after : a->before;
	bool is_new = a->action == KG_ACTION_ADD || a->before == NULL;
	char *x, *y;

	kg_buf_printf(b, "%zu. %s\n", num, title_of(a));
	if (a->action != KG_ACTION_CREATE_CUSTOMER) {
		x = clean(a->token_id != NULL ? a->token_id : (tok != NULL ? tok->id : NULL));
		y = kg_sanitize_str(tok != NULL && !kg_str_empty(tok->name) ? tok->name : "");
		kg_buf_printf(b, "   %-*s%s%s%s\n", LABEL_W, "Token:", x, *y ? "  " : "", y);
		free(x);
		free(y);
	}
	add_line(b, "Customer:", a->customer_id != NULL ? a->customer_id
	                                                : (tok != NULL ? tok->customer_id : NULL));
	if (a->action != KG_ACTION_CREATE_CUSTOMER) {
		add_change(b, "Status:",
		           a->before != NULL ? kg_token_status_str(a->before->status) : NULL,
		           a->after != NULL ? kg_token_status_str(a->after->status) : NULL, is_new);
		add_change(b, "Expires:", a->before != NULL ? a->before->expires_at : NULL,
		           a->after != NULL ? a->after->expires_at : NULL, is_new);
	}
	if (!kg_str_empty(a->reason))
		add_line(b, a->action == KG_ACTION_OTHER ? "Note:" : "Reason:", a->reason);
	x = clean(a->id);
	y = kg_sanitize_str(a->at != NULL ? a->at : "");
	kg_buf_printf(b, "   %-*s%s%s%s", LABEL_W, "Activity:", x, *y ? "  " : "", y);
	free(x);
	free(y);
	if (!kg_str_empty(a->actor)) {
		x = kg_sanitize_str(a->actor);
		kg_buf_printf(b, "  by %s", x);
		free(x);
	}
	kg_buf_puts(b, "\n");
}

/* Oldest first: by the order they were recorded, then by time. */
static int
cmp_rows(const void *pa, const void *pb)
{
	const struct kg_activity_row *a = *(const struct kg_activity_row *const *)pa;
	const struct kg_activity_row *b = *(const struct kg_activity_row *const *)pb;
	int c;

	if (a->rowid != b->rowid)
		return a->rowid < b->rowid ? -1 : 1;
	c = strcmp(a->act.at != NULL ? a->act.at : "", b->act.at != NULL ? b->act.at : "");
	if (c != 0)
		return c;
	return a < b ? -1 : a > b;
}

char *
kg_outbox_text(const struct kg_ticket *ticket, const struct kg_activity_row *rows, size_t n,
               const char *sync_id)
{
	const struct kg_activity_row **order;
	struct kg_buf b;
	char *num;
	size_t i;

	order = kg_xcalloc(n > 0 ? n : 1, sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = &rows[i];
	qsort(order, n, sizeof(*order), cmp_rows);

	kg_buf_init(&b, 0);
	num = kg_sanitize_str(ticket != NULL && ticket->number != NULL ? ticket->number : "");
	kg_buf_printf(&b, "Kigo loyalty token actions%s%s (%zu):\n", *num ? " for " : "", num, n);
	free(num);
	for (i = 0; i < n; i++) {
		kg_buf_puts(&b, "\n");
		add_action(&b, i + 1, &order[i]->act);
	}
	kg_buf_printf(&b, "\n%s%s", KG_OUTBOX_SYNC_PREFIX,
	              sync_id != NULL ? sync_id : KG_OUTBOX_SYNC_PLACEHOLDER);
	free(order);
	return kg_buf_steal(&b);
}

char *
kg_outbox_preview(const struct kg_ticket *ticket, const struct kg_activity_row *rows, size_t n)
{
	if (n == 0)
		return NULL;
	return kg_outbox_text(ticket, rows, n, NULL);
}

enum kg_err
kg_outbox_queue(struct kg_store *st, const struct kg_config *cfg, const struct kg_ticket *ticket,
                const struct kg_activity_row *rows, size_t n, struct kg_outbox_item **out,
                char **cause)
{
	struct kg_outbox_item *item;
	int64_t *ids;
	enum kg_err err;
	const char *table, *field;
	size_t i;

	if (out != NULL)
		*out = NULL;
	if (n == 0) {
		kg_set_cause(cause, "there is nothing to report to ServiceNow");
		return KG_ERR_BAD_INPUT;
	}
	if (ticket == NULL || !kg_sn_sys_id_valid(ticket->sys_id) || kg_str_empty(ticket->number)) {
		kg_set_cause(cause, "the ticket is not known yet (no sys_id); refresh it first");
		return KG_ERR_BAD_INPUT;
	}
	table = !kg_str_empty(ticket->table) ? ticket->table
	        : !kg_str_empty(cfg->sn_table) ? cfg->sn_table : "incident";
	field = !kg_str_empty(cfg->sn_journal_field) ? cfg->sn_journal_field : "work_notes";
	if (!kg_sn_name_valid(table) || !kg_sn_name_valid(field)) {
		kg_set_cause(cause, "servicenow.table or servicenow.journal_field is not a valid name");
		return KG_ERR_CONFIG;
	}

	item = kg_xcalloc(1, sizeof(*item));
	item->sync_id = kg_outbox_new_sync_id();
	item->ticket_ref = kg_xstrdup(ticket->number);
	item->table = kg_xstrdup(table);
	item->sys_id = kg_xstrdup(ticket->sys_id);
	item->journal_field = kg_xstrdup(field);
	item->text = kg_outbox_text(ticket, rows, n, item->sync_id);
	item->state = KG_OUTBOX_PENDING;
	item->created_at = kg_wall_now();
	ids = kg_xcalloc(n, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = rows[i].rowid;
	err = kg_store_outbox_add(st, item, ids, n);
	free(ids);
	if (err != KG_ERR_OK) {
		kg_set_cause(cause, "the summary for %s could not be stored, so nothing was sent: %s",
		             ticket->number, kg_store_error(st));
		kg_outbox_items_free(&item, 1);
		return err;
	}
	kg_log_info("outbox: summary %" PRId64 " for %s stored (sync id %s)", item->id,
	            item->ticket_ref, item->sync_id);
	if (out != NULL)
		*out = item;
	else
		kg_outbox_items_free(&item, 1);
	return KG_ERR_OK;
}

/* ---- delivery ---- */

struct kg_outbox_flush {
	struct kg_loop *loop;
	struct kg_sn *sn;                /* not owned */
	struct kg_store *st;             /* not owned */
	struct kg_outbox_item *items;    /* pending when the flush started */
	size_t n;
	size_t cur;                      /* the item being delivered */
	kg_outbox_item_fn item_cb;
	kg_outbox_done_fn done_cb;
	void *ud;
	uint64_t req;                    /* kg_sn request in flight, 0 when none */
	uint64_t timer;                  /* pending timer, 0 when none */
	int sends;                       /* PATCHes of the current item in this flush */
	int rate_waits;                  /* 429 waits of the current item */
	char *last_why;                  /* the current item's last failure, or NULL */
	size_t sent;
	size_t pending;
	int lock_fd;                     /* flock'd next to the database, -1 when none */
	bool busy;                       /* another process is flushing: report only */
};

static void step_send(struct kg_outbox_flush *f);
static void step_check(struct kg_outbox_flush *f);

static void
flush_free(struct kg_outbox_flush *f)
{
	if (f->req != 0)
		kg_sn_cancel(f->sn, f->req);
	if (f->timer != 0)
		kg_timer_cancel(f->loop, f->timer);
	kg_outbox_items_free(&f->items, f->n);
	if (f->lock_fd >= 0)
		close(f->lock_fd); /* releases the flock */
	free(f->last_why);
	free(f);
}

static void
finish_all(struct kg_outbox_flush *f)
{
	kg_outbox_done_fn done = f->done_cb;
	size_t sent = f->sent, pending = f->pending;
	void *ud = f->ud;

	flush_free(f);
	if (done != NULL)
		done(sent, pending, ud);
}

static void next_item(struct kg_outbox_flush *f);

static void
on_next_timer(struct kg_loop *loop, void *ud)
{
	struct kg_outbox_flush *f = ud;
	struct kg_outbox_item *it;

	(void)loop;
	f->timer = 0;
	if (f->cur >= f->n) {
		finish_all(f);
		return;
	}
	it = &f->items[f->cur];
	if (f->busy) {
		/* the other process sends it; sending here too could duplicate it */
		f->pending++;
		if (f->item_cb != NULL) {
			char *msg = kg_xasprintf("The summary for %s (sync id %s) is still pending: "
			                         "another kigo-tui is sending it right now.",
			                         it->ticket_ref, it->sync_id);

			f->item_cb(it, KG_ERR_PENDING, msg, f->ud);
			free(msg);
		}
		next_item(f);
		return;
	}
	f->sends = 0;
	f->rate_waits = 0;
	kg_free(&f->last_why);
	/* an earlier run started sending it: it may be there already */
	if (it->attempts > 0)
		step_check(f);
	else
		step_send(f);
}

/* Go on with the next item from the loop (no recursion through callbacks). */
static void
next_item(struct kg_outbox_flush *f)
{
	f->cur++;
	f->timer = kg_timer_add(f->loop, 0, on_next_timer, f);
}

static void
item_done(struct kg_outbox_flush *f, enum kg_err err, const char *why)
{
	struct kg_outbox_item *it = &f->items[f->cur];
	char *msg = NULL;

	if (err == KG_ERR_OK) {
		enum kg_err serr = kg_store_outbox_sent(f->st, it->id);

		if (serr != KG_ERR_OK) {
			/* it is in ServiceNow; the next flush finds it there and marks it */
			kg_log_error("outbox: summary %" PRId64 " is in ServiceNow but could not be "
			             "marked sent: %s", it->id, kg_store_error(f->st));
		}
		it->state = KG_OUTBOX_SENT;
		f->sent++;
		msg = kg_xasprintf("The summary for %s is in ServiceNow (sync id %s).",
		                   it->ticket_ref, it->sync_id);
		kg_log_info("outbox: summary %" PRId64 " confirmed", it->id);
	} else {
		f->pending++;
		kg_store_outbox_attempt(f->st, it->id, why);
		msg = kg_xasprintf("The summary for %s (sync id %s) is still pending: %s", it->ticket_ref,
		                   it->sync_id, why);
		kg_log_info("outbox: summary %" PRId64 " still pending", it->id);
	}
	if (f->item_cb != NULL)
		f->item_cb(it, err, msg, f->ud);
	free(msg);
	next_item(f);
}

static void
on_check_timer(struct kg_loop *loop, void *ud)
{
	struct kg_outbox_flush *f = ud;

	(void)loop;
	f->timer = 0;
	step_check(f);
}

static void
on_send_timer(struct kg_loop *loop, void *ud)
{
	struct kg_outbox_flush *f = ud;

	(void)loop;
	f->timer = 0;
	step_send(f);
}

static void
on_found(const struct kg_sn_result *res, bool found, void *ud)
{
	struct kg_outbox_flush *f = ud;
	struct kg_outbox_item *it = &f->items[f->cur];
	char *why;

	f->req = 0;
	if (res->err != KG_ERR_OK) {
		/* unknown whether it arrived: sending now could duplicate it */
		why = kg_xasprintf("it may already be in ServiceNow and that could not be checked "
		                   "(%s)", res->message != NULL ? res->message : kg_err_str(res->err));
		item_done(f, res->err, why);
		free(why);
		return;
	}
	if (found) {
		kg_log_info("outbox: summary %" PRId64 " found in sys_journal_field", it->id);
		item_done(f, KG_ERR_OK, NULL);
		return;
	}
	if (f->sends >= MAX_SENDS) {
		/* say why (the status and request id of the last try), not only
		 * that; what happens next is the caller's to say (sync, the return) */
		const char *last = f->last_why != NULL ? f->last_why : "no answer";
		size_t n = strlen(last);

		if (n > 0 && last[n - 1] == '.')
			n--; /* its full stop would end up inside the parentheses */
		why = kg_xasprintf("ServiceNow did not confirm it after several tries (the last: "
		                   "%.*s).", (int)n, last);
		item_done(f, KG_ERR_UNAVAILABLE, why);
		free(why);
		return;
	}
	step_send(f);
}

static void
step_check(struct kg_outbox_flush *f)
{
	struct kg_outbox_item *it = &f->items[f->cur];
	char *needle = kg_xasprintf("%s%s", KG_OUTBOX_SYNC_PREFIX, it->sync_id);

	f->req = kg_sn_journal_find(f->sn, it->table, it->sys_id, it->journal_field, needle,
	                            on_found, f);
	free(needle);
	if (f->req == 0)
		item_done(f, KG_ERR_BAD_INPUT, "its record or sync id is not valid; it cannot be "
		                               "checked or sent (a damaged outbox row).");
}

static void
on_written(const struct kg_sn_result *res, void *ud)
{
	struct kg_outbox_flush *f = ud;
	struct kg_outbox_item *it = &f->items[f->cur];
	const char *why = res->message != NULL ? res->message : kg_err_str(res->err);

	f->req = 0;
	if (res->err == KG_ERR_OK) {
		item_done(f, KG_ERR_OK, NULL);
		return;
	}
	kg_store_outbox_attempt(f->st, it->id, why);
	kg_free(&f->last_why);
	f->last_why = kg_xstrdup(why);
	if (res->ambiguous) {
		kg_log_info("outbox: summary %" PRId64 ": no clear answer, checking before resending",
		            it->id);
		f->timer = kg_timer_add(f->loop, CHECK_DELAY_MS, on_check_timer, f);
		return;
	}
	if (res->status == 429 && res->retry_after >= 0 && res->retry_after <= MAX_RATE_WAIT_S &&
	    f->rate_waits < MAX_RATE_WAITS) {
		/* a 429 was not applied: waiting and sending again is safe */
		f->rate_waits++;
		f->sends--;
		f->timer = kg_timer_add(f->loop, (int64_t)res->retry_after * 1000, on_send_timer, f);
		return;
	}
	item_done(f, res->err, why);
}

static void
step_send(struct kg_outbox_flush *f)
{
	struct kg_outbox_item *it = &f->items[f->cur];
	enum kg_err err;

	/* recorded before the send: after a crash, the next run checks first */
	err = kg_store_outbox_attempt(f->st, it->id, NULL);
	if (err != KG_ERR_OK) {
		char *why = kg_xasprintf("the attempt could not be recorded in the local database, "
		                         "so it was not sent: %s.", kg_store_error(f->st));

		item_done(f, err, why);
		free(why);
		return;
	}
	it->attempts++;
	f->sends++;
	kg_log_info("outbox: sending summary %" PRId64 " (attempt %d)", it->id, it->attempts);
	f->req = kg_sn_journal_add(f->sn, it->table, it->sys_id, it->journal_field, it->text,
	                           on_written, f);
	if (f->req == 0)
		item_done(f, KG_ERR_BAD_INPUT, "its record is not valid; it cannot be sent (a "
		                               "damaged outbox row).");
}

/*
 * One flush at a time per database, across processes (the client's start-up
 * flush and `kigo-tui sync` may overlap): an flock on a file next to it,
 * which a crash releases.  Returns the fd, or -1 with *busy when another
 * holds it (-1 without *busy: no lock could be made, go on without).
 */
static int
flush_lock(struct kg_store *st, bool *busy)
{
	const char *db = sqlite3_db_filename(kg_store_db(st), "main");
	char *path;
	int fd;

	*busy = false;
	if (kg_str_empty(db))
		return -1;
	path = kg_xasprintf("%s-outbox.lock", db);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		kg_log_warn("outbox: no lock file %s: %s", path, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		*busy = errno == EWOULDBLOCK;
		if (!*busy)
			kg_log_warn("outbox: cannot lock %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

struct kg_outbox_flush *
kg_outbox_flush(struct kg_loop *loop, struct kg_sn *sn, struct kg_store *st,
                const char *ticket_ref, kg_outbox_item_fn item_cb, kg_outbox_done_fn done_cb,
                void *ud, char **cause)
{
	struct kg_outbox_flush *f;
	enum kg_err err;

	f = kg_xcalloc(1, sizeof(*f));
	f->loop = loop;
	f->sn = sn;
	f->st = st;
	f->item_cb = item_cb;
	f->done_cb = done_cb;
	f->ud = ud;
	/* locked before the list is read, so it reflects the last flush's work */
	f->lock_fd = flush_lock(st, &f->busy);
	err = kg_store_outbox_pending(st, ticket_ref, &f->items, &f->n);
	if (err != KG_ERR_OK) {
		kg_set_cause(cause, "the pending ServiceNow summaries could not be read: %s",
		             kg_store_error(st));
		flush_free(f);
		return NULL;
	}
	/* the first item starts from the loop, like every later one */
	f->cur = 0;
	f->timer = kg_timer_add(loop, 0, on_next_timer, f);
	return f;
}

void
kg_outbox_flush_cancel(struct kg_outbox_flush **fp)
{
	if (*fp == NULL)
		return;
	flush_free(*fp);
	*fp = NULL;
}
