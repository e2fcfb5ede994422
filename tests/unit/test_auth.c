/*
 * test_auth.c - kg_auth against tests/fakes/idp_fake.py over real HTTPS
 * (test CA made at test time): the device flow with pending, slow_down, a
 * missing interval, denial, expiry (sent and local), malformed, oversized
 * and wrongly typed answers, an IdP that stops answering, a TLS failure;
 * refresh with rotation, coalesced refreshes on concurrent 401s, one retry
 * only, a failed refresh as KG_ERR_UNAUTHORIZED, renewal before expiry,
 * userinfo, logout with revocation, and a debug log free of secrets.
 * The real OpenID provider (oidc-provider) is covered by the integration
 * tests test_login_*.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kigo/auth.h"
#include "kigo/config.h"
#include "kigo/http.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "support/fakesrv.h"

static struct kg_fake fake;
static struct kg_loop *loop;
static struct kg_http *http;
static struct kg_auth *auth;
static struct kg_config cfg;

struct login_res {
	bool got_code, done;
	char *uri, *uri_complete, *user_code;
	int interval;
	enum kg_err err;
	char *msg;
};

static void
on_code(const struct kg_device_info *info, void *ud)
{
	struct login_res *r = ud;

	r->got_code = true;
	r->uri = kg_xstrdup(info->verification_uri);
	r->uri_complete = kg_xstrdup(info->verification_uri_complete);
	r->user_code = kg_xstrdup(info->user_code);
	r->interval = info->interval;
}

static void
on_done(enum kg_err err, const char *msg, void *ud)
{
	struct login_res *r = ud;

	r->done = true;
	r->err = err;
	r->msg = kg_xstrdup(msg);
}

static void
login_res_free(struct login_res *r)
{
	free(r->uri);
	free(r->uri_complete);
	free(r->user_code);
	free(r->msg);
	memset(r, 0, sizeof(*r));
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
run_for(int64_t ms)
{
	int64_t deadline = kg_now_ms() + ms;

	while (kg_now_ms() < deadline)
		kg_loop_once(loop, deadline - kg_now_ms());
}

static void
configure(const char *json)
{
	cr_assert_eq(kg_fake_call(&fake, "POST", "/test/config", json, NULL), 200);
}

static struct json_object *
state(void)
{
	char *body = NULL;
	struct json_object *o;

	cr_assert_eq(kg_fake_call(&fake, "GET", "/test/state", NULL, &body), 200);
	o = json_tokener_parse(body);
	free(body);
	cr_assert_not_null(o);
	return o;
}

static int64_t
state_int(const char *key)
{
	struct json_object *o = state(), *v;
	int64_t n;

	cr_assert(json_object_object_get_ex(o, key, &v));
	n = json_object_get_int64(v);
	json_object_put(o);
	return n;
}

/* A string member of the state, caller frees (NULL when null). */
static char *
state_str(const char *key)
{
	struct json_object *o = state(), *v;
	char *s = NULL;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		s = kg_xstrdup(json_object_get_string(v));
	json_object_put(o);
	return s;
}

static double
poll_offset(size_t i)
{
	struct json_object *o = state(), *v;
	double d;

	cr_assert(json_object_object_get_ex(o, "poll_offsets", &v));
	cr_assert_gt(json_object_array_length(v), i, "fewer than %zu polls", i + 1);
	d = json_object_get_double(json_object_array_get_idx(v, i));
	json_object_put(o);
	return d;
}

static void
start_with(const char *cert, long timeout_ms)
{
	struct kg_http_opts ho = { 0 };
	char *cause = NULL;

	cr_assert(kg_fake_start(&fake, "idp_fake.py", cert, NULL), "idp_fake did not start");
	loop = kg_loop_new();
	ho.ca_bundle = fake.ca;
	ho.timeout_ms = timeout_ms;
	ho.connect_timeout_ms = 2000;
	ho.max_retries = -1;
	http = kg_http_new(loop, &ho, &cause);
	cr_assert_not_null(http, "%s", cause);
	kg_config_defaults(&cfg);
	free(cfg.okta_issuer);
	free(cfg.okta_client_id);
	free(cfg.okta_scopes);
	cfg.okta_issuer = kg_xstrdup(fake.base);
	cfg.okta_client_id = kg_xstrdup("kigo-test");
	cfg.okta_scopes = kg_xstrdup("openid profile offline_access");
	cfg.secrets = KG_SECRETS_MEMORY;
	cr_assert_eq(kg_auth_new(loop, http, &cfg, &auth, &cause), KG_ERR_OK, "%s", cause);
}

static void
setup(void)
{
	start_with("server", 5000);
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

static void
login(struct login_res *r)
{
	kg_auth_login_start(auth, on_code, on_done, r);
	cr_assert_not(r->done, "on_done must not run inside kg_auth_login_start");
	run_until(&r->done, 20000);
}

static void
login_ok(void)
{
	struct login_res r = { 0 };

	login(&r);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.msg);
	login_res_free(&r);
}

/* ---- the device flow ---- */

Test(auth, login_pending_then_ok, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };
	struct kg_auth_stats st;

	cr_assert_not(kg_auth_logged_in(auth));
	cr_assert_null(kg_auth_user_name(auth));
	login(&r);
	cr_assert(r.got_code);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.msg);
	cr_assert_str_eq(r.msg, "Logged in as Ana Example.");
	cr_assert_str_eq(r.user_code, "WDJB-MJHT");
	cr_assert(strncmp(r.uri, "https://127.0.0.1:", 18) == 0, "%s", r.uri);
	cr_assert_not_null(strstr(r.uri_complete, "user_code=WDJB-MJHT"));
	cr_assert_eq(r.interval, 1);
	cr_assert(kg_auth_logged_in(auth));
	cr_assert_str_eq(kg_auth_user_name(auth), "Ana Example");
	cr_assert_str_eq(kg_auth_user_email(auth), "ana@example.test");
	cr_assert_geq(kg_auth_expires_at(auth), kg_wall_now() + 3500);
	cr_assert_str_eq(kg_auth_secrets_kind(auth), "memory");
	cr_assert_geq(poll_offset(0), 0.95, "first poll came too early");
	cr_assert_geq(poll_offset(1) - poll_offset(0), 0.95);
	kg_auth_get_stats(auth, &st);
	cr_assert_eq(st.polls, 2);
	/* The first 200 ends polling: a later poll would revoke the grant. */
	run_for(2500);
	kg_auth_get_stats(auth, &st);
	cr_assert_eq(st.polls, 2);
	login_res_free(&r);
}

Test(auth, missing_interval_means_5_seconds, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"interval\":null,\"polls\":[\"ok\"]}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.msg);
	cr_assert_eq(r.interval, 5);
	cr_assert_geq(poll_offset(0), 4.9, "polled after %.2f s", poll_offset(0));
	login_res_free(&r);
}

Test(auth, slow_down_adds_5_seconds, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"polls\":[\"slow_down\",\"pending\",\"ok\"]}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.msg);
	/* interval 1 + 5 for this and every later poll */
	cr_assert_geq(poll_offset(1) - poll_offset(0), 5.9);
	cr_assert_geq(poll_offset(2) - poll_offset(1), 5.9);
	login_res_free(&r);
}

Test(auth, denied, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"polls\":[\"pending\",\"denied\"]}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_DENIED);
	cr_assert_not_null(strstr(r.msg, "denied"), "%s", r.msg);
	cr_assert_not(kg_auth_logged_in(auth));
	cr_assert_eq(kg_err_exit(r.err), 77);
	login_res_free(&r);
}

Test(auth, expired_token_from_idp, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"polls\":[\"expired\"]}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_EXPIRED);
	cr_assert_not_null(strstr(r.msg, "expired"), "%s", r.msg);
	cr_assert_eq(kg_err_exit(r.err), 75);
	login_res_free(&r);
}

Test(auth, code_expires_locally, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };
	int64_t t0 = kg_now_ms();
	/* under make valgrind (KG_VALGRIND=1) every step is many times slower */
	const char *vg = getenv("KG_VALGRIND");
	int64_t limit = vg != NULL && strcmp(vg, "1") == 0 ? 5000 * 4 : 5000;

	configure("{\"expires_in\":2,\"polls\":[\"pending\"]}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_EXPIRED, "%s", r.msg);
	cr_assert_lt(kg_now_ms() - t0, limit);
	login_res_free(&r);
}

Test(auth, other_oauth_error_sanitized, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"polls\":[\"invalid_client\"]}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(r.msg, "invalid_client"), "%s", r.msg);
	cr_assert_null(strchr(r.msg, 0x1b));
	cr_assert_null(strchr(r.msg, 0x07));
	login_res_free(&r);
}

Test(auth, device_error_response, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"device_body\":\"error\"}");
	login(&r);
	cr_assert_not(r.got_code);
	cr_assert_eq(r.err, KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(r.msg, "invalid_client"), "%s", r.msg);
	cr_assert_not_null(strstr(r.msg, "request id req-"), "%s", r.msg);
	cr_assert_null(strchr(r.msg, 0x1b));
	login_res_free(&r);
}

Test(auth, malformed_device_json, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"device_body\":\"malformed\"}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(r.msg, "not valid JSON"), "%s", r.msg);
	login_res_free(&r);
}

Test(auth, wrong_type_device_json, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"device_body\":\"wrong_type\"}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(r.msg, "\"expires_in\" of the wrong type"), "%s", r.msg);
	login_res_free(&r);
}

Test(auth, oversized_device_json, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"device_body\":\"oversized\"}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_TOOBIG, "%d %s", r.err, r.msg);
	cr_assert_not_null(strstr(r.msg, "too large"), "%s", r.msg);
	login_res_free(&r);
}

Test(auth, malformed_and_oversized_token_json, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"polls\":[\"malformed\"]}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(r.msg, "access_token"), "%s", r.msg);
	cr_assert_not(kg_auth_logged_in(auth));
	login_res_free(&r);
	configure("{\"polls\":[\"oversized\"]}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_TOOBIG, "%s", r.msg);
	{
		struct kg_auth_stats st;

		kg_auth_get_stats(auth, &st);
		cr_assert_eq(st.polls, 2, "no poll after an unreadable answer");
	}
	login_res_free(&r);
}

Test(auth, idp_stops_answering)
{
	struct login_res r = { 0 };
	struct kg_auth_stats st;

	start_with("server", 1000);
	configure("{\"polls\":[\"pending\"]}");
	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"hang\",\"path\":\"/token\",\"next\":10,"
	                               "\"hang_s\":5}"));
	login(&r);
	cr_assert_eq(r.err, KG_ERR_TIMEOUT, "%d %s", r.err, r.msg);
	cr_assert_not_null(strstr(r.msg, "did not answer"), "%s", r.msg);
	kg_auth_get_stats(auth, &st);
	cr_assert_eq(st.polls, 3, "gives up after 3 unanswered polls");
	login_res_free(&r);
	teardown();
}

Test(auth, idp_down)
{
	struct login_res r = { 0 };

	start_with("server", 2000);
	kg_fake_stop(&fake);
	login(&r);
	cr_assert_eq(r.err, KG_ERR_CONNECT, "%d %s", r.err, r.msg);
	cr_assert_eq(kg_err_exit(r.err), 69);
	cr_assert_not_null(strstr(r.msg, "did not answer"), "%s", r.msg);
	login_res_free(&r);
	teardown();
}

Test(auth, tls_failure_in_words)
{
	struct login_res r = { 0 };

	start_with("otherca-server", 2000);
	login(&r);
	cr_assert_eq(r.err, KG_ERR_TLS, "%d %s", r.err, r.msg);
	cr_assert_not_null(strstr(r.msg, "certificate"), "%s", r.msg);
	login_res_free(&r);
	teardown();
}

Test(auth, cancel_stops_polling, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };
	struct kg_auth_stats st;

	configure("{\"polls\":[\"pending\"]}");
	kg_auth_login_start(auth, on_code, on_done, &r);
	run_until(&r.got_code, 10000);
	cr_assert(kg_auth_login_running(auth));
	kg_auth_login_cancel(auth);
	cr_assert_not(kg_auth_login_running(auth));
	run_for(2500);
	kg_auth_get_stats(auth, &st);
	cr_assert_eq(st.polls, 0);
	cr_assert_not(r.done);
	login_res_free(&r);
}

Test(auth, userinfo_when_no_id_token, .init = setup, .fini = teardown)
{
	struct login_res r = { 0 };

	configure("{\"with_id_token\":false,\"polls\":[\"ok\"],\"name\":\"Bo \\u001b[2JUser\"}");
	login(&r);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.msg);
	cr_assert_str_eq(kg_auth_user_name(auth), "Bo [2JUser");
	login_res_free(&r);
}

/* ---- refresh ---- */

struct done_res {
	bool done;
	enum kg_err err;
	char *msg;
};

static void
on_refreshed(enum kg_err err, const char *msg, void *ud)
{
	struct done_res *d = ud;

	d->done = true;
	d->err = err;
	free(d->msg);
	d->msg = kg_xstrdup(msg);
}

Test(auth, refresh_rotates, .init = setup, .fini = teardown)
{
	struct done_res d = { 0 };
	char *rt1, *rt2, *used;
	struct json_object *o, *v;

	configure("{\"polls\":[\"ok\"]}");
	login_ok();
	rt1 = state_str("refresh_token");
	kg_auth_refresh(auth, on_refreshed, &d);
	cr_assert_not(d.done);
	run_until(&d.done, 10000);
	cr_assert_eq(d.err, KG_ERR_OK, "%s", d.msg);
	rt2 = state_str("refresh_token");
	cr_assert_str_neq(rt1, rt2);
	/* The second refresh must use the rotated token, or the fake refuses it. */
	d.done = false;
	kg_auth_refresh(auth, on_refreshed, &d);
	run_until(&d.done, 10000);
	cr_assert_eq(d.err, KG_ERR_OK, "%s", d.msg);
	o = state();
	cr_assert(json_object_object_get_ex(o, "refresh_tokens_used", &v));
	cr_assert_eq(json_object_array_length(v), 2);
	used = kg_xstrdup(json_object_get_string(json_object_array_get_idx(v, 1)));
	cr_assert_str_eq(used, rt2);
	json_object_put(o);
	free(used);
	free(rt1);
	free(rt2);
	free(d.msg);
}

struct req_res {
	bool done;
	int calls;
	enum kg_err err;
	long status;
	char *error;
};

static void
on_resp(struct kg_http_resp *resp, void *ud)
{
	struct req_res *r = ud;

	r->done = true;
	r->calls++;
	r->err = resp->err;
	r->status = resp->status;
	free(r->error);
	r->error = kg_xstrdup(resp->error);
}

static uint64_t
get_resource(struct req_res *r)
{
	char *url = kg_xasprintf("%s/api/resource", fake.base);
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = url };
	uint64_t id = kg_auth_http_send(auth, &req, on_resp, r);

	free(url);
	return id;
}

Test(auth, concurrent_401s_share_one_refresh, .init = setup, .fini = teardown)
{
	struct req_res r[3] = { 0 };
	struct kg_auth_stats st;
	bool all = false;

	configure("{\"polls\":[\"ok\"]}");
	login_ok();
	/* The server no longer accepts our access token. */
	configure("{\"access_token\":\"revoked-elsewhere\"}");
	for (int i = 0; i < 3; i++)
		get_resource(&r[i]);
	cr_assert_not(r[0].done, "never completes from inside kg_auth_http_send");
	while (!all) {
		kg_loop_once(loop, 100);
		all = r[0].done && r[1].done && r[2].done;
	}
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(r[i].err, KG_ERR_OK);
		cr_assert_eq(r[i].status, 200, "request %d: %ld", i, r[i].status);
		cr_assert_eq(r[i].calls, 1);
		free(r[i].error);
	}
	kg_auth_get_stats(auth, &st);
	cr_assert_eq(st.refreshes, 1, "one refresh for three 401s");
	cr_assert_eq(state_int("resource_calls"), 6);
}

Test(auth, a_second_401_is_not_retried, .init = setup, .fini = teardown)
{
	struct req_res r = { 0 };
	struct kg_auth_stats st;

	configure("{\"polls\":[\"ok\"]}");
	login_ok();
	configure("{\"resource_401\":5}");
	get_resource(&r);
	run_until(&r.done, 10000);
	cr_assert_eq(r.status, 401);
	cr_assert_eq(r.calls, 1);
	kg_auth_get_stats(auth, &st);
	cr_assert_eq(st.refreshes, 1);
	cr_assert_eq(state_int("resource_calls"), 2, "sent once, then once again after refresh");
	free(r.error);
}

Test(auth, failed_refresh_is_unauthorized, .init = setup, .fini = teardown)
{
	struct req_res r = { 0 };
	int changes = 0;

	configure("{\"polls\":[\"ok\"]}");
	login_ok();
	configure("{\"access_token\":\"revoked-elsewhere\",\"refresh\":\"invalid_grant\"}");
	get_resource(&r);
	run_until(&r.done, 10000);
	cr_assert_eq(r.err, KG_ERR_UNAUTHORIZED);
	cr_assert_eq(r.status, 401);
	cr_assert_not_null(strstr(r.error, "log in again"), "%s", r.error);
	cr_assert_not(kg_auth_logged_in(auth));
	(void)changes;
	free(r.error);
}

Test(auth, refresh_unavailable_keeps_session, .init = setup, .fini = teardown)
{
	struct req_res r = { 0 };

	configure("{\"polls\":[\"ok\"]}");
	login_ok();
	configure("{\"access_token\":\"revoked-elsewhere\",\"refresh\":\"503\"}");
	get_resource(&r);
	run_until(&r.done, 10000);
	cr_assert_eq(r.err, KG_ERR_UNAVAILABLE, "%d %s", r.err, r.error);
	cr_assert(kg_auth_logged_in(auth), "a 503 does not end the session");
	free(r.error);
}

Test(auth, not_logged_in_request, .init = setup, .fini = teardown)
{
	struct req_res r = { 0 };

	get_resource(&r);
	cr_assert_not(r.done);
	run_until(&r.done, 2000);
	cr_assert_eq(r.err, KG_ERR_UNAUTHORIZED);
	cr_assert_not_null(strstr(r.error, "not logged in"), "%s", r.error);
	cr_assert_eq(state_int("resource_calls"), 0);
	free(r.error);
}

Test(auth, cancel_request, .init = setup, .fini = teardown)
{
	struct req_res r = { 0 };
	uint64_t id;

	id = get_resource(&r);
	kg_auth_http_cancel(auth, id);
	run_for(300);
	cr_assert_not(r.done);
}

Test(auth, renews_before_expiry, .init = setup, .fini = teardown)
{
	struct kg_auth_stats st;

	configure("{\"polls\":[\"ok\"],\"token_lifetime\":2}");
	login_ok();
	run_for(2500);
	kg_auth_get_stats(auth, &st);
	cr_assert_geq(st.refreshes, 1, "no refresh before expiry");
	cr_assert_gt(kg_auth_expires_at(auth), kg_wall_now());
}

/* ---- logout ---- */

Test(auth, logout_revokes, .init = setup, .fini = teardown)
{
	struct done_res d = { 0 };
	char *at, *rt;
	struct json_object *o, *v;
	char *s;

	configure("{\"polls\":[\"ok\"]}");
	login_ok();
	at = state_str("access_token");
	rt = state_str("refresh_token");
	kg_auth_logout(auth, on_refreshed, &d);
	cr_assert_not(d.done);
	run_until(&d.done, 10000);
	cr_assert_eq(d.err, KG_ERR_OK, "%s", d.msg);
	cr_assert_not(kg_auth_logged_in(auth));
	o = state();
	cr_assert(json_object_object_get_ex(o, "revoked", &v));
	s = kg_xstrdup(json_object_to_json_string(v));
	cr_assert_not_null(strstr(s, rt), "%s", s);
	cr_assert_not_null(strstr(s, at), "%s", s);
	cr_assert_not_null(strstr(s, "refresh_token"), "%s", s);
	json_object_put(o);
	free(s);
	free(at);
	free(rt);
	free(d.msg);
}

Test(auth, logout_without_revocation_endpoint, .init = setup, .fini = teardown)
{
	struct done_res d = { 0 };

	configure("{\"polls\":[\"ok\"],\"revocation\":false}");
	login_ok();
	kg_auth_logout(auth, on_refreshed, &d);
	run_until(&d.done, 10000);
	cr_assert_eq(d.err, KG_ERR_OK, "%s", d.msg);
	cr_assert_not(kg_auth_logged_in(auth));
	free(d.msg);
}

/* ---- secrets never reach the log ---- */

Test(auth, debug_log_has_no_secret, .init = setup, .fini = teardown)
{
	char path[] = "/tmp/kg-auth-log-XXXXXX";
	int fd = mkstemp(path);
	struct done_res d = { 0 };
	char *cause = NULL, *logtext, *at, *rt, *dc;

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(kg_log_open(path, 2, &cause), KG_ERR_OK);
	configure("{\"polls\":[\"pending\",\"ok\"]}");
	login_ok();
	dc = state_str("device_code");
	kg_auth_refresh(auth, on_refreshed, &d);
	run_until(&d.done, 10000);
	at = state_str("access_token");
	rt = state_str("refresh_token");
	d.done = false;
	kg_auth_logout(auth, on_refreshed, &d);
	run_until(&d.done, 10000);
	kg_log_close();
	logtext = kg_fake_slurp(path);
	cr_assert_not_null(logtext);
	cr_assert_not_null(strstr(logtext, "auth:"), "the log should say something: %s", logtext);
	cr_assert_null(strstr(logtext, dc), "device code in the log");
	cr_assert_null(strstr(logtext, at), "access token in the log");
	cr_assert_null(strstr(logtext, rt), "refresh token in the log");
	cr_assert_null(strstr(logtext, "AT-"), "%s", logtext);
	cr_assert_null(strstr(logtext, "RT-"), "%s", logtext);
	cr_assert_null(strstr(logtext, "DC-"), "%s", logtext);
	unlink(path);
	free(logtext);
	free(dc);
	free(at);
	free(rt);
	free(d.msg);
}
