/*
 * cmd_status.c - `kigo-tui status [--json]`: who is logged in, when the
 * access token expires, where the tokens live, the cache and the outbox.
 *
 * Works logged in or not and exits 0 either way; a part that cannot be
 * read (the keyring, the database) is reported on stderr and shown as
 * empty.  Never touches the network and never prints a token.  The JSON
 * shape is the interface contract's: logged_in, user, expires_at,
 * secrets, pending_sync, cache {customers, tokens}, state_dir.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kigo/auth.h"
#include "kigo/cmd.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/sanitize.h"
#include "kigo/store.h"

struct status_info {
	bool logged_in;
	const char *user;      /* NULL when logged out */
	const char *email;
	int64_t expires_at;    /* 0 = none */
	const char *secrets;
	int64_t pending, customers, tokens;
	const char *state_dir;
};

static void
rfc3339(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, n, "%s", "1970-01-01T00:00:00Z");
}

/* The kind a configured mode would show when the store could not open. */
static const char *
secrets_guess(enum kg_secrets mode)
{
	switch (mode) {
	case KG_SECRETS_KEYRING:
		return "keyring";
	case KG_SECRETS_FILE:
		return "file";
	case KG_SECRETS_AUTO:
	case KG_SECRETS_MEMORY:
		break;
	}
	return "memory";
}

static int
print_json(const struct status_info *si)
{
	struct json_object *o = json_object_new_object(), *cache = json_object_new_object();
	char when[32];
	int rc;

	json_object_object_add(o, "logged_in", json_object_new_boolean(si->logged_in));
	json_object_object_add(o, "user", si->user != NULL ? json_object_new_string(si->user) : NULL);
	if (si->expires_at != 0) {
		rfc3339(si->expires_at, when, sizeof(when));
		json_object_object_add(o, "expires_at", json_object_new_string(when));
	} else
		json_object_object_add(o, "expires_at", NULL);
	json_object_object_add(o, "secrets", json_object_new_string(si->secrets));
	json_object_object_add(o, "pending_sync", json_object_new_int64(si->pending));
	json_object_object_add(cache, "customers", json_object_new_int64(si->customers));
	json_object_object_add(cache, "tokens", json_object_new_int64(si->tokens));
	json_object_object_add(o, "cache", cache);
	json_object_object_add(o, "state_dir", si->state_dir != NULL
	                                               ? json_object_new_string(si->state_dir)
	                                               : NULL);
	rc = puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	                                                    JSON_C_TO_STRING_NOSLASHESCAPE)) < 0;
	json_object_put(o);
	return rc;
}

static void
print_text(const struct status_info *si)
{
	char when[32];
	char *dir = kg_sanitize_str(si->state_dir);

	if (si->logged_in) {
		if (si->email != NULL && !kg_streq(si->email, si->user))
			printf("Logged in as %s <%s>\n", si->user, si->email);
		else
			printf("Logged in as %s\n", si->user != NULL ? si->user : "(unknown user)");
	} else
		printf("Not logged in (run 'kigo-tui login')\n");
	if (si->expires_at != 0) {
		int64_t left = si->expires_at - kg_wall_now();

		rfc3339(si->expires_at, when, sizeof(when));
		if (left > 0)
			printf("Access token expires %s (in %lld min)\n", when,
			       (long long)((left + 59) / 60));
		else
			printf("Access token expired %s%s\n", when,
			       si->logged_in ? " (it is renewed on the next request)" : "");
	}
	printf("Secrets: %s\n", si->secrets);
	printf("Pending ServiceNow summaries: %lld\n", (long long)si->pending);
	printf("Cache: %lld customers, %lld tokens\n", (long long)si->customers,
	       (long long)si->tokens);
	printf("State folder: %s\n", dir);
	free(dir);
}

int
kg_cmd_status(const struct kg_cli *cli, const struct kg_config *cfg)
{
	struct status_info si = { 0 };
	struct kg_loop *loop = kg_loop_new();
	struct kg_auth *auth = NULL;
	struct kg_store *st = NULL;
	char *cause = NULL, *notice;
	int rc = KG_EXIT_OK;

	if (kg_log_open(NULL, cli->verbose, &cause) != KG_ERR_OK)
		kg_free(&cause);
	si.state_dir = cfg->state_dir;
	si.secrets = secrets_guess(cfg->secrets);
	/* No network: the handle only reads the saved login. */
	if (kg_auth_new(loop, NULL, cfg, &auth, &cause) == KG_ERR_OK) {
		si.logged_in = kg_auth_logged_in(auth);
		si.user = kg_auth_user_name(auth);
		si.email = kg_auth_user_email(auth);
		si.expires_at = si.logged_in ? kg_auth_expires_at(auth) : 0;
		si.secrets = kg_auth_secrets_kind(auth);
		if ((notice = kg_auth_take_notice(auth)) != NULL) {
			fprintf(stderr, "kigo-tui: %s\n", notice);
			free(notice);
		}
	} else {
		fprintf(stderr, "kigo-tui: status: %s\n", cause);
		kg_free(&cause);
	}
	if (kg_store_open(cfg->state_dir, &st, &cause) == KG_ERR_OK) {
		if (kg_store_counts(st, &si.customers, &si.tokens) != KG_ERR_OK ||
		    kg_store_outbox_count_pending(st, &si.pending) != KG_ERR_OK)
			fprintf(stderr, "kigo-tui: status: the local database could not be read\n");
	} else {
		fprintf(stderr, "kigo-tui: status: %s\n", cause);
		kg_free(&cause);
	}
	if (cli->json) {
		if (print_json(&si) != 0)
			rc = KG_EXIT_IOERR;
	} else
		print_text(&si);
	if (fflush(stdout) != 0)
		rc = KG_EXIT_IOERR;
	kg_store_free(&st);
	kg_auth_free(&auth);
	kg_loop_free(&loop);
	free(cause);
	kg_log_close();
	return rc;
}
