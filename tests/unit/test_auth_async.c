/*
 * test_auth_async.c - kg_auth_new_async: the saved login is read off the
 * loop (secrets = keyring and auto), requests sent meanwhile wait for it and
 * then fail with the reason, nothing is called back from inside a public
 * call, and file mode needs no thread.  The session bus is pointed at a
 * socket that does not exist, so the keyring's answer (none) is quick and
 * the same everywhere; a keyring that hangs is test_keyring_hung.py's.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kigo/auth.h"
#include "kigo/config.h"
#include "kigo/http.h"
#include "kigo/log.h"
#include "kigo/loop.h"

static struct kg_loop *loop;
static struct kg_http *http;
static struct kg_config cfg;

struct loaded {
	bool done;
	enum kg_err err;
	char *msg;
};

struct sent {
	bool done;
	enum kg_err err;
	long status;
	char *error;
};

static void
on_loaded(enum kg_err err, const char *msg, void *ud)
{
	struct loaded *l = ud;

	l->done = true;
	l->err = err;
	l->msg = kg_xstrdup(msg);
}

static void
on_sent(struct kg_http_resp *resp, void *ud)
{
	struct sent *s = ud;

	s->done = true;
	s->err = resp->err;
	s->status = resp->status;
	s->error = kg_xstrdup(resp->error);
}

static void
run_until(bool *flag, int64_t ms)
{
	int64_t deadline = kg_now_ms() + ms;

	while (!*flag && kg_now_ms() < deadline)
		kg_loop_once(loop, 100);
	cr_assert(*flag, "did not finish within %lld ms", (long long)ms);
}

static void
setup(void)
{
	struct kg_http_opts ho = { 0 };
	char *cause = NULL;

	/* no keyring can answer: a bus address that leads nowhere */
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/kigo-test-bus", 1);
	unsetenv("DISPLAY");
	loop = kg_loop_new();
	http = kg_http_new(loop, &ho, &cause);
	cr_assert_not_null(http, "%s", cause);
	kg_config_defaults(&cfg);
	free(cfg.okta_issuer);
	free(cfg.okta_client_id);
	cfg.okta_issuer = kg_xstrdup("https://idp.invalid");
	cfg.okta_client_id = kg_xstrdup("kigo-test");
}

static void
teardown(void)
{
	kg_http_free(&http);
	kg_loop_free(&loop);
	kg_config_clear(&cfg);
	kg_log_close();
}

static uint64_t
send_one(struct kg_auth *auth, struct sent *s)
{
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = "https://api.invalid/x" };

	return kg_auth_http_send(auth, &req, on_sent, s);
}

TestSuite(auth_async, .init = setup, .fini = teardown);

Test(auth_async, auto_reads_off_the_loop_then_falls_back_to_memory)
{
	struct kg_auth *auth = NULL;
	struct loaded l = { 0 };
	struct sent s = { 0 };
	char *cause = NULL, *notice;

	cfg.secrets = KG_SECRETS_AUTO;
	cr_assert_eq(kg_auth_new_async(loop, http, &cfg, on_loaded, &l, &auth, &cause), KG_ERR_OK,
	             "%s", cause);
	cr_assert(kg_auth_loading(auth));
	cr_assert_not(kg_auth_logged_in(auth));
	cr_assert_eq(kg_auth_store_pending(auth), 1);
	send_one(auth, &s);
	cr_assert_not(l.done, "loaded was called from inside kg_auth_new_async");
	cr_assert_not(s.done, "the request did not wait for the saved login");
	run_until(&l.done, 10000);
	cr_assert_eq(l.err, KG_ERR_OK, "auto: %s", l.msg);
	cr_assert_not(kg_auth_loading(auth));
	cr_assert_str_eq(kg_auth_secrets_kind(auth), "memory");
	notice = kg_auth_take_notice(auth);
	cr_assert_not_null(notice);
	cr_assert(strstr(notice, "kept in memory for this run only") != NULL, "%s", notice);
	free(notice);
	/* the held request is answered: not logged in (a 401 of our own) */
	run_until(&s.done, 5000);
	cr_assert_eq(s.err, KG_ERR_UNAUTHORIZED);
	cr_assert_eq(s.status, 401);
	cr_assert(strstr(s.error, "not logged in") != NULL, "%s", s.error);
	kg_auth_free(&auth);
	free(l.msg);
	free(s.error);
}

Test(auth_async, keyring_says_why_and_fails_the_waiting_requests_with_it)
{
	struct kg_auth *auth = NULL;
	struct loaded l = { 0 };
	struct sent s = { 0 }, s2 = { 0 };
	char *cause = NULL;

	cfg.secrets = KG_SECRETS_KEYRING;
	/* no probe here: a keyring that hangs must not hold up the first paint */
	cr_assert_eq(kg_auth_new_async(loop, http, &cfg, on_loaded, &l, &auth, &cause), KG_ERR_OK,
	             "%s", cause);
	cr_assert(kg_auth_loading(auth));
	send_one(auth, &s);
	send_one(auth, &s2);
	kg_auth_http_cancel(auth, send_one(auth, &s2)); /* a cancelled one stays quiet */
	run_until(&l.done, 10000);
	cr_assert_eq(l.err, KG_ERR_KEYRING);
	cr_assert(strstr(l.msg, "The keyring cannot be used") != NULL, "%s", l.msg);
	cr_assert(strstr(l.msg, "secrets = file") != NULL, "no advice: %s", l.msg);
	run_until(&s.done, 5000);
	cr_assert_eq(s.err, KG_ERR_KEYRING);
	cr_assert_str_eq(s.error, l.msg);
	cr_assert(s2.done);
	cr_assert_not(kg_auth_logged_in(auth));
	cr_assert_eq(kg_auth_store_pending(auth), 0);
	kg_auth_free(&auth);
	free(l.msg);
	free(s.error);
	free(s2.error);
}

Test(auth_async, quitting_while_the_keyring_is_read_is_quick)
{
	struct kg_auth *auth = NULL;
	struct loaded l = { 0 };
	char *cause = NULL;
	int64_t t0;

	cfg.secrets = KG_SECRETS_KEYRING;
	cr_assert_eq(kg_auth_new_async(loop, http, &cfg, on_loaded, &l, &auth, &cause), KG_ERR_OK,
	             "%s", cause);
	t0 = kg_now_ms();
	kg_auth_free(&auth);
	/* a read is not waited for (only saves get a moment) */
	cr_assert_lt(kg_now_ms() - t0, 1500, "free took %lld ms", (long long)(kg_now_ms() - t0));
	cr_assert_not(l.done, "loaded was called after free");
}

Test(auth_async, file_mode_needs_no_thread)
{
	struct kg_auth *auth = NULL;
	struct loaded l = { 0 };
	char dir[] = "/tmp/kg-auth-async-XXXXXX";
	char *cause = NULL;

	cr_assert_not_null(mkdtemp(dir));
	cfg.secrets = KG_SECRETS_FILE;
	free(cfg.state_dir);
	cfg.state_dir = kg_xstrdup(dir);
	cr_assert_eq(kg_auth_new_async(loop, http, &cfg, on_loaded, &l, &auth, &cause), KG_ERR_OK,
	             "%s", cause);
	cr_assert_not(kg_auth_loading(auth));
	cr_assert_eq(kg_auth_store_pending(auth), 0);
	cr_assert_str_eq(kg_auth_secrets_kind(auth), "file");
	kg_loop_once(loop, 0);
	cr_assert_not(l.done, "loaded is for the keyring only");
	kg_auth_free(&auth);
	rmdir(dir);
}

Test(auth_async, logout_clears_through_the_worker_and_says_why_it_could_not)
{
	struct kg_auth *auth = NULL;
	struct loaded l = { 0 }, out = { 0 };
	char *cause = NULL;

	cfg.secrets = KG_SECRETS_KEYRING;
	cr_assert_eq(kg_auth_new_async(loop, http, &cfg, on_loaded, &l, &auth, &cause), KG_ERR_OK,
	             "%s", cause);
	run_until(&l.done, 10000);
	kg_auth_logout(auth, on_loaded, &out);
	cr_assert_not(out.done, "logout called back from inside");
	run_until(&out.done, 10000);
	cr_assert_eq(out.err, KG_ERR_KEYRING);
	cr_assert(strstr(out.msg, "could not be removed from the keyring") != NULL, "%s", out.msg);
	cr_assert(strstr(out.msg, "secrets = file") != NULL, "no advice: %s", out.msg);
	cr_assert_eq(kg_auth_store_pending(auth), 0);
	kg_auth_free(&auth);
	free(l.msg);
	free(out.msg);
}
