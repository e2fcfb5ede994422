/*
 * test_auth_oidc.c - kg_auth against a real OpenID provider: oidc-provider
 * 9.13.3 (tests/oidc/server.mjs, started through tests/fakes/oidc_server.py)
 * over HTTPS with a CA made at test time.  Approve, deny, expiry, polling
 * stops at the first success, refresh with rotation (the old refresh token
 * dies), a 401 from a resource server triggering exactly one refresh, and
 * revocation on logout.  Skipped when `make deps` has not installed
 * tests/oidc/node_modules.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kigo/auth.h"
#include "kigo/config.h"
#include "kigo/http.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/oidc_json.h"
#include "support/fakesrv.h"

static struct kg_fake fake;
static struct kg_loop *loop;
static struct kg_http *http;
static struct kg_auth *auth;
static struct kg_config cfg;
static char state_dir[400];

struct res {
	bool done;
	enum kg_err err;
	char *msg;
	bool approve, deny;   /* what on_code does with the user code */
};

static void
on_code(const struct kg_device_info *info, void *ud)
{
	struct res *r = ud;
	char *path;

	if (!r->approve && !r->deny)
		return;
	path = kg_xasprintf("/test/%s?user_code=%s", r->approve ? "approve" : "deny", info->user_code);
	cr_assert_eq(kg_fake_call(&fake, "POST", path, NULL, NULL), 200);
	free(path);
}

static void
on_done(enum kg_err err, const char *msg, void *ud)
{
	struct res *r = ud;

	r->done = true;
	r->err = err;
	free(r->msg);
	r->msg = kg_xstrdup(msg);
}

static void
run_until(bool *flag, int64_t ms)
{
	int64_t deadline = kg_now_ms() + ms;

	while (!*flag && kg_now_ms() < deadline)
		kg_loop_once(loop, 100);
	cr_assert(*flag, "did not finish within %lld ms", (long long)ms);
}

static bool
have_provider(void)
{
	char *p = kg_xasprintf("%s/tests/oidc/node_modules/oidc-provider/package.json",
	                       kg_fake_root());
	bool ok = access(p, R_OK) == 0 && system("command -v node >/dev/null 2>&1") == 0;

	free(p);
	return ok;
}

static void
start(const char *const *extra)
{
	struct kg_http_opts ho = { 0 };
	char *cause = NULL;

	if (!have_provider())
		cr_skip_test("oidc-provider is not installed (make deps)");
	cr_assert(kg_fake_start(&fake, "oidc_server.py", "server", extra), "oidc server did not start");
	loop = kg_loop_new();
	ho.ca_bundle = fake.ca;
	ho.max_retries = -1;
	http = kg_http_new(loop, &ho, &cause);
	cr_assert_not_null(http, "%s", cause);
	snprintf(state_dir, sizeof(state_dir), "%s/state", fake.dir);
	kg_config_defaults(&cfg);
	free(cfg.okta_issuer);
	free(cfg.okta_client_id);
	free(cfg.okta_scopes);
	free(cfg.state_dir);
	cfg.okta_issuer = kg_xstrdup(fake.base);
	cfg.okta_client_id = kg_xstrdup("kigo-test");
	cfg.okta_scopes = kg_xstrdup("openid profile offline_access");
	cfg.state_dir = kg_xstrdup(state_dir);
	cfg.secrets = KG_SECRETS_FILE;
	cr_assert_eq(kg_auth_new(loop, http, &cfg, &auth, &cause), KG_ERR_OK, "%s", cause);
}

static void
setup(void)
{
	start(NULL);
}

static void
teardown(void)
{
	kg_auth_free(&auth);
	kg_http_free(&http);
	kg_loop_free(&loop);
	kg_config_clear(&cfg);
	kg_fake_stop(&fake);
	kg_log_close();
}

static struct json_object *
events(void)
{
	char *body = NULL;
	struct json_object *o;

	cr_assert_eq(kg_fake_call(&fake, "GET", "/test/events", NULL, &body), 200);
	o = json_tokener_parse(body);
	free(body);
	cr_assert_not_null(o);
	return o;
}

static int64_t
event_int(const char *key)
{
	struct json_object *o = events(), *v;
	int64_t n;

	cr_assert(json_object_object_get_ex(o, key, &v));
	n = json_object_get_int64(v);
	json_object_put(o);
	return n;
}

/* Is this token still accepted by the provider? */
static bool
token_active(const char *value)
{
	char *path = kg_xasprintf("/test/token?value=%s", value);
	char *body = NULL;
	bool active;

	cr_assert_eq(kg_fake_call(&fake, "GET", path, NULL, &body), 200);
	active = strstr(body, "\"active\":true") != NULL;
	free(body);
	free(path);
	return active;
}

/* The tokens as saved in state_dir/tokens.json (secrets = file). */
static void
saved(struct kg_oidc_stored *st)
{
	char *path = kg_xasprintf("%s/tokens.json", state_dir);
	char *text = kg_fake_slurp(path), *cause = NULL;
	struct stat sb;

	cr_assert_not_null(text, "no %s", path);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	cr_assert_eq(kg_oidc_parse_stored(text, strlen(text), st, &cause), KG_ERR_OK, "%s", cause);
	kg_secret_free(&text);
	free(path);
}

static void
login_approved(void)
{
	struct res r = { .approve = true };

	kg_auth_login_start(auth, on_code, on_done, &r);
	run_until(&r.done, 30000);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.msg);
	free(r.msg);
}

Test(auth_oidc, approve, .init = setup, .fini = teardown)
{
	struct kg_oidc_stored st;
	int64_t t0 = kg_now_ms();

	login_approved();
	/* oidc-provider sends no interval: the first poll waits 5 s. */
	cr_assert_geq(kg_now_ms() - t0, 4900);
	cr_assert(kg_auth_logged_in(auth));
	cr_assert_str_eq(kg_auth_user_name(auth), "Ana Example");
	saved(&st);
	cr_assert_not_null(st.refresh_token, "offline_access gives a refresh token");
	cr_assert(token_active(st.access_token));
	kg_oidc_stored_clear(&st);
	/* Polling stopped at the first success (a later poll revokes the grant). */
	t0 = kg_now_ms();
	while (kg_now_ms() - t0 < 6000)
		kg_loop_once(loop, 500);
	cr_assert_eq(event_int("polls_after_success"), 0);
	cr_assert_eq(event_int("revoked_grants"), 0);
}

Test(auth_oidc, deny, .init = setup, .fini = teardown)
{
	struct res r = { .deny = true };

	kg_auth_login_start(auth, on_code, on_done, &r);
	run_until(&r.done, 30000);
	cr_assert_eq(r.err, KG_ERR_DENIED, "%s", r.msg);
	cr_assert_not(kg_auth_logged_in(auth));
	free(r.msg);
}

Test(auth_oidc, expiry)
{
	static const char *const extra[] = { "--device-ttl", "3", NULL };
	struct res r = { 0 };

	start(extra);
	kg_auth_login_start(auth, on_code, on_done, &r);
	run_until(&r.done, 30000);
	cr_assert_eq(r.err, KG_ERR_EXPIRED, "%s", r.msg);
	free(r.msg);
	teardown();
}

struct done_res {
	bool done;
	enum kg_err err;
	char *msg;
};

static void
on_finished(enum kg_err err, const char *msg, void *ud)
{
	struct done_res *d = ud;

	d->done = true;
	d->err = err;
	free(d->msg);
	d->msg = kg_xstrdup(msg);
}

Test(auth_oidc, refresh_rotates, .init = setup, .fini = teardown)
{
	struct kg_oidc_stored s1, s2, s3;
	struct done_res d = { 0 };

	login_approved();
	saved(&s1);
	kg_auth_refresh(auth, on_finished, &d);
	run_until(&d.done, 10000);
	cr_assert_eq(d.err, KG_ERR_OK, "%s", d.msg);
	saved(&s2);
	cr_assert_str_neq(s1.refresh_token, s2.refresh_token, "the refresh token rotates");
	cr_assert_str_neq(s1.access_token, s2.access_token);
	cr_assert_not(token_active(s1.refresh_token), "the old refresh token is dead");
	cr_assert(token_active(s2.refresh_token));
	/* The rotated token is the one used next (reusing the old would revoke all). */
	d.done = false;
	kg_auth_refresh(auth, on_finished, &d);
	run_until(&d.done, 10000);
	cr_assert_eq(d.err, KG_ERR_OK, "%s", d.msg);
	saved(&s3);
	cr_assert(token_active(s3.refresh_token));
	cr_assert_eq(event_int("refreshes"), 2);
	cr_assert_eq(event_int("revoked_grants"), 0);
	kg_oidc_stored_clear(&s1);
	kg_oidc_stored_clear(&s2);
	kg_oidc_stored_clear(&s3);
	free(d.msg);
}

struct req_res {
	bool done;
	enum kg_err err;
	long status;
};

static void
on_resp(struct kg_http_resp *resp, void *ud)
{
	struct req_res *r = ud;

	r->done = true;
	r->err = resp->err;
	r->status = resp->status;
}

Test(auth_oidc, resource_401_refreshes_once, .init = setup, .fini = teardown)
{
	struct req_res r = { 0 };
	char *url;
	struct kg_http_req req = { .method = KG_HTTP_GET };

	login_approved();
	cr_assert_eq(kg_fake_call(&fake, "POST", "/test/reject-next?n=1", NULL, NULL), 200);
	url = kg_xasprintf("%s/test/resource", fake.base);
	req.url = url;
	kg_auth_http_send(auth, &req, on_resp, &r);
	run_until(&r.done, 10000);
	cr_assert_eq(r.err, KG_ERR_OK);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(event_int("refreshes"), 1);
	cr_assert_eq(event_int("resource_calls"), 2);
	cr_assert_eq(event_int("resource_auth_ok"), 1);
	free(url);
}

Test(auth_oidc, logout_revokes, .init = setup, .fini = teardown)
{
	struct kg_oidc_stored st;
	struct done_res d = { 0 };
	char *path = kg_xasprintf("%s/tokens.json", state_dir);

	login_approved();
	saved(&st);
	cr_assert(token_active(st.refresh_token));
	kg_auth_logout(auth, on_finished, &d);
	run_until(&d.done, 10000);
	cr_assert_eq(d.err, KG_ERR_OK, "%s", d.msg);
	cr_assert_not(token_active(st.refresh_token), "the refresh token is revoked");
	cr_assert_not(token_active(st.access_token), "the access token is revoked");
	cr_assert_neq(access(path, F_OK), 0, "tokens.json is gone");
	cr_assert_not(kg_auth_logged_in(auth));
	kg_oidc_stored_clear(&st);
	free(path);
	free(d.msg);
}
