/*
 * doctor.c - the checks behind `kigo-tui doctor`.
 *
 * One line per check, each saying what is fine or what to fix.  The three
 * services are probed at the same time on the loop with kg_http (no
 * retries, a short timeout, no sleeping); everything else is local and
 * quick.  The probes send no credentials: reaching a service and verifying
 * its certificate is what is checked, so a 401 from ServiceNow or Kigo is
 * the expected answer.  Nothing here writes to the state folder or the
 * keyring, and text from servers is sanitized before it is printed.
 */
#include "kigo/doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kigo/config.h"
#include "kigo/http.h"
#include "kigo/loop.h"
#include "kigo/oidc_json.h"
#include "kigo/sanitize.h"
#include "kigo/secret.h"

#define PROBE_TIMEOUT_MS 10000
#define CA_MAX_BYTES (4 * 1024 * 1024)

enum { P_SN, P_KIGO, P_IDP, P__COUNT };

/* One service probe: what was asked and what came back. */
struct probe {
	const char *name;        /* line name: "servicenow", "kigo", "idp" */
	const char *setting;     /* the option that names its URL */
	char *url;               /* NULL when not configured */
	bool sent;
	bool done;
	const char *why_not;     /* why it was not sent, when not */
	enum kg_err err;         /* transport result */
	char *error;             /* transport sentence (kg_http's) */
	long status;             /* HTTP status, 0 when none */
	char *request_id;
	char *body;              /* IdP only: the discovery document */
	size_t body_len;
	int retry_after;
	int64_t server_date;     /* Date header, epoch seconds, 0 when absent */
	int64_t sent_ms;         /* local wall clock (ms) when the request went out */
	int64_t local_ms;        /* ... and when the answer came */
	const char *html;        /* the answer was an HTML page (kg_http_body_hint) */
};

const char *
kg_doctor_status_str(enum kg_doctor_status st)
{
	switch (st) {
	case KG_DOCTOR_OK:
		return "ok";
	case KG_DOCTOR_SKIP:
		return "skip";
	case KG_DOCTOR_WARN:
		return "WARN";
	case KG_DOCTOR_FAIL:
		break;
	}
	return "FAIL";
}

void
kg_doctor_add(struct kg_doctor_report *r, const char *name, enum kg_doctor_status st,
              int exit_code, const char *fmt, ...)
{
	va_list ap;
	char *raw;

	if (r->n >= KG_DOCTOR_MAX_LINES)
		return;
	va_start(ap, fmt);
	raw = kg_xvasprintf(fmt, ap);
	va_end(ap);
	r->lines[r->n].name = name;
	r->lines[r->n].status = st;
	r->lines[r->n].exit_code = (st == KG_DOCTOR_OK || st == KG_DOCTOR_SKIP) ? 0 : exit_code;
	r->lines[r->n].text = kg_sanitize_str(raw);
	r->n++;
	free(raw);
}

void
kg_doctor_report_clear(struct kg_doctor_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		kg_free(&r->lines[i].text);
	r->n = 0;
}

int
kg_doctor_exit_code(const struct kg_doctor_report *r)
{
	static const int order[] = { KG_EXIT_CONFIG, KG_EXIT_UNAVAILABLE, KG_EXIT_TEMPFAIL };
	bool seen[KG_ARRAY_LEN(order)] = { false };
	int other = 0;
	size_t i, k;

	for (i = 0; i < r->n; i++) {
		int c = r->lines[i].exit_code;

		if (c == 0)
			continue;
		for (k = 0; k < KG_ARRAY_LEN(order); k++)
			if (order[k] == c)
				seen[k] = true;
		other = other != 0 ? other : c;
	}
	for (k = 0; k < KG_ARRAY_LEN(order); k++)
		if (seen[k])
			return order[k];
	return other;
}

void
kg_doctor_print(const struct kg_doctor_report *r, FILE *fp)
{
	size_t i, bad = 0;

	for (i = 0; i < r->n; i++) {
		const struct kg_doctor_line *l = &r->lines[i];

		fprintf(fp, "%-10s %-4s  %s\n", l->name, kg_doctor_status_str(l->status), l->text);
		if (l->exit_code != 0)
			bad++;
	}
	if (bad == 0)
		fputs("All checks passed.\n", fp);
	else
		fprintf(fp, "%zu check%s need%s attention (see the lines marked FAIL or WARN).\n",
		        bad, bad == 1 ? "" : "s", bad == 1 ? "s" : "");
}

/* ---- state folder ---- */

/* A file in the state folder: absent is fine, else a 0600 regular file. */
static enum kg_doctor_status
check_state_file(const char *dir, const char *name, char **text)
{
	struct stat st;
	char *path = kg_xasprintf("%s/%s", dir, name);
	enum kg_doctor_status res = KG_DOCTOR_OK;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT) {
			kg_set_cause(text, "cannot inspect %s: %s", path, strerror(errno));
			res = KG_DOCTOR_FAIL;
		}
	} else if (S_ISLNK(st.st_mode)) {
		kg_set_cause(text, "%s is a symbolic link, which kigo-tui refuses; replace it with "
		                   "the real file", path);
		res = KG_DOCTOR_FAIL;
	} else if (!S_ISREG(st.st_mode)) {
		kg_set_cause(text, "%s is not a regular file; move it away", path);
		res = KG_DOCTOR_FAIL;
	} else if ((st.st_mode & 077) != 0) {
		kg_set_cause(text, "%s is mode %04o, others can read it; run: chmod 600 %s", path,
		             (unsigned)(st.st_mode & 07777), path);
		res = KG_DOCTOR_FAIL;
	} else if (st.st_uid != geteuid()) {
		kg_set_cause(text, "%s belongs to uid %ld, not to you; use a state_dir of your own",
		             path, (long)st.st_uid);
		res = KG_DOCTOR_FAIL;
	}
	free(path);
	return res;
}

enum kg_doctor_status
kg_doctor_check_state(const char *state_dir, char **text)
{
	static const char *const files[] = { "kigo-tui.db", "kigo-tui.db-wal", "kigo-tui.db-shm",
		                             "tokens.json" };
	struct stat st;
	size_t i;
	bool have_db;

	if (kg_str_empty(state_dir)) {
		kg_set_cause(text, "no state folder is configured; set [storage] state_dir");
		return KG_DOCTOR_FAIL;
	}
	if (lstat(state_dir, &st) != 0) {
		if (errno == ENOENT) {
			kg_set_cause(text, "%s does not exist yet; it is created with mode 0700 at "
			                   "first use", state_dir);
			return KG_DOCTOR_OK;
		}
		kg_set_cause(text, "cannot inspect %s: %s", state_dir, strerror(errno));
		return KG_DOCTOR_FAIL;
	}
	if (S_ISLNK(st.st_mode)) {
		kg_set_cause(text, "%s is a symbolic link, which kigo-tui refuses; point state_dir "
		                   "at the real folder", state_dir);
		return KG_DOCTOR_FAIL;
	}
	if (!S_ISDIR(st.st_mode)) {
		kg_set_cause(text, "%s is not a folder; set [storage] state_dir to a folder",
		             state_dir);
		return KG_DOCTOR_FAIL;
	}
	if (st.st_uid != geteuid()) {
		kg_set_cause(text, "%s belongs to uid %ld, not to you (uid %ld); use a state_dir "
		                   "of your own", state_dir, (long)st.st_uid, (long)geteuid());
		return KG_DOCTOR_FAIL;
	}
	if ((st.st_mode & 077) != 0) {
		kg_set_cause(text, "%s is mode %04o, others can reach the cache; run: chmod 700 %s",
		             state_dir, (unsigned)(st.st_mode & 07777), state_dir);
		return KG_DOCTOR_FAIL;
	}
	for (i = 0; i < KG_ARRAY_LEN(files); i++)
		if (check_state_file(state_dir, files[i], text) != KG_DOCTOR_OK)
			return KG_DOCTOR_FAIL;
	{
		char *db = kg_xasprintf("%s/kigo-tui.db", state_dir);

		have_db = access(db, F_OK) == 0;
		free(db);
	}
	kg_set_cause(text, "%s is 0700%s", state_dir,
	             have_db ? ", kigo-tui.db 0600" : " (no database yet)");
	return KG_DOCTOR_OK;
}

/* ---- terminal ---- */

enum kg_doctor_status
kg_doctor_check_term(const struct kg_doctor_term *t, char **text)
{
	const char *term = kg_str_empty(t->term) ? "(unset)" : t->term;
	bool utf8 = t->codeset != NULL &&
	            (kg_strcaseeq(t->codeset, "UTF-8") || kg_strcaseeq(t->codeset, "utf8"));
	char *colours;
	enum kg_doctor_status res = KG_DOCTOR_OK;

	if (kg_str_empty(t->term) || t->colors == -2) {
		kg_set_cause(text, "TERM=%s is not a terminal type terminfo knows; set TERM (e.g. "
		                   "xterm-256color) or install ncurses-term", term);
		return KG_DOCTOR_FAIL;
	}
	if (t->cols > 0 && t->rows > 0 && (t->cols < 80 || t->rows < 24)) {
		kg_set_cause(text, "the terminal is %dx%d; kigo-tui needs at least 80x24: enlarge "
		                   "the window", t->cols, t->rows);
		return KG_DOCTOR_FAIL;
	}
	if (t->color_off)
		colours = kg_xstrdup("colours off (NO_COLOR or [ui] color = never)");
	else if (t->colors >= 8)
		colours = kg_xasprintf("%d colours", t->colors);
	else
		colours = kg_xstrdup("no colours (bold and reverse video are used instead)");
	if (!utf8) {
		kg_set_cause(text, "the locale's character set is %s, not UTF-8: names and lines "
		                   "would be drawn as '?'; set LANG to a UTF-8 locale (e.g. "
		                   "LANG=C.UTF-8)", t->codeset ? t->codeset : "unknown");
		res = KG_DOCTOR_WARN;
	} else if (t->cols > 0 && t->rows > 0) {
		kg_set_cause(text, "%dx%d, %s, UTF-8 (TERM=%s)", t->cols, t->rows, colours, term);
	} else {
		kg_set_cause(text, "size unknown, %s, UTF-8 (TERM=%s)", colours, term);
	}
	free(colours);
	return res;
}

/* Measure the terminal on fd (or find one); SKIP when there is none. */
static void
check_terminal(struct kg_doctor_report *r, const struct kg_config *cfg, int fd)
{
	struct kg_doctor_term t = { .colors = -1 };
	struct winsize ws;
	const char *nc = getenv("NO_COLOR");
	char *text = NULL;
	enum kg_doctor_status st;
	int own = -1;

	if (fd < 0) {
		if (isatty(STDOUT_FILENO))
			fd = STDOUT_FILENO;
		else if (isatty(STDIN_FILENO))
			fd = STDIN_FILENO;
		else
			fd = own = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (fd < 0 || !isatty(fd)) {
		kg_doctor_add(r, "terminal", KG_DOCTOR_SKIP, 0,
		              "not run in a terminal; run kigo-tui doctor in the terminal you use "
		              "for kigo-tui to check its size, colours and locale");
		if (own >= 0)
			close(own);
		return;
	}
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
		t.cols = ws.ws_col;
		t.rows = ws.ws_row;
	}
	t.term = getenv("TERM");
	if (!kg_str_empty(t.term))
		t.colors = kg_doctor_term_colors(fd);
	setlocale(LC_CTYPE, "");
	t.codeset = nl_langinfo(CODESET);
	t.color_off = (nc != NULL && nc[0] != '\0') || cfg->color == KG_COLOR_NEVER;
	st = kg_doctor_check_term(&t, &text);
	kg_doctor_add(r, "terminal", st, KG_EXIT_TEMPFAIL, "%s", text);
	free(text);
	if (own >= 0)
		close(own);
}

/* ---- clock ---- */

enum kg_doctor_status
kg_doctor_check_clock(const int64_t *skews, const char *const *names, size_t n, char **text)
{
	size_t i, worst = 0;
	int64_t w;

	if (n == 0) {
		kg_set_cause(text, "no server answered with a Date header, so the clock could not "
		                   "be compared");
		return KG_DOCTOR_SKIP;
	}
	for (i = 1; i < n; i++)
		if (llabs((long long)skews[i]) > llabs((long long)skews[worst]))
			worst = i;
	w = skews[worst];
	if (llabs((long long)w) > KG_DOCTOR_MAX_SKEW_S) {
		kg_set_cause(text, "this machine's clock is %lld s %s %s's; tokens would look "
		                   "expired or not yet valid: set the time (e.g. enable NTP with "
		                   "timedatectl set-ntp true)", (long long)llabs((long long)w),
		             w > 0 ? "behind" : "ahead of", names[worst]);
		return KG_DOCTOR_WARN;
	}
	kg_set_cause(text, "within %lld s of the servers' clocks", (long long)llabs((long long)w));
	return KG_DOCTOR_OK;
}

/* ---- configuration and CA bundle ---- */

static void
check_config(struct kg_doctor_report *r, const struct kg_config *cfg, const char *system_path)
{
	char missing[256] = "";
	size_t used = 0;
	const struct { const char *v; const char *name; } need[] = {
		{ cfg->sn_instance_url, "[servicenow] instance_url" },
		{ cfg->okta_issuer, "[okta] issuer" },
		{ cfg->okta_client_id, "[okta] client_id" },
		{ cfg->kigo_api_url, "[kigo] api_url" },
		{ cfg->sn_auth == KG_SN_AUTH_BASIC ? cfg->sn_username : "-", "[servicenow] username" },
	};
	size_t i;
	char *where;

	for (i = 0; i < KG_ARRAY_LEN(need); i++) {
		int k;

		if (!kg_str_empty(need[i].v))
			continue;
		k = snprintf(missing + used, sizeof(missing) - used, "%s%s", used ? ", " : "",
		             need[i].name);
		if (k > 0 && (size_t)k < sizeof(missing) - used)
			used += (size_t)k;
	}
	where = cfg->path != NULL ? kg_xasprintf("read %s", cfg->path)
	                          : kg_xasprintf("no configuration file found (looked at -c, "
	                                         "$KIGO_TUI_CONFIG, $XDG_CONFIG_HOME/kigo-tui/"
	                                         "kigo-tui.conf, %s)",
	                                         system_path ? system_path : KG_CONFIG_SYSTEM_PATH);
	if (used > 0)
		kg_doctor_add(r, "config", KG_DOCTOR_FAIL, KG_EXIT_CONFIG,
		              "%s; set %s (see kigo-tui.conf(5) and kigo-tui.conf.example)", where,
		              missing);
	else
		kg_doctor_add(r, "config", KG_DOCTOR_OK, 0, "%s", where);
	free(where);
}

/* Count PEM certificates in the CA file; -1 with *why when unreadable. */
static int
ca_count(const char *path, char **why)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	FILE *fp = fopen(path, "r");
	char line[512];
	int n = 0;

	if (fp == NULL) {
		kg_set_cause(why, "cannot read the CA bundle %s: %s; set [tls] ca_bundle to a "
		                  "readable PEM file (or leave it empty for the system store)", path,
		             strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, begin, sizeof(begin) - 1) == 0)
			n++;
	fclose(fp);
	return n;
}

/* ---- service probes ---- */

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_probe(struct kg_http_resp *resp, void *ud)
{
	struct probe *p = ud;

	p->done = true;
	p->err = resp->err;
	p->error = kg_xstrdup(resp->error);
	p->status = resp->status;
	p->request_id = kg_xstrdup(resp->request_id);
	p->retry_after = resp->retry_after;
	p->server_date = resp->server_date;
	p->local_ms = wall_ms();
	p->html = resp->err == KG_ERR_OK ? kg_http_body_hint(resp) : NULL;
	if (p->body == NULL && resp->err == KG_ERR_OK) {
		p->body_len = resp->body.len;
		p->body = kg_buf_steal(&resp->body);
	}
}

static void
probe_clear(struct probe *p)
{
	kg_free(&p->url);
	kg_free(&p->error);
	kg_free(&p->request_id);
	kg_free(&p->body);
}

static char *
rid(const struct probe *p)
{
	return p->request_id ? kg_xasprintf(" (request id %s)", p->request_id) : kg_xstrdup("");
}

/* The judgement common to the three services: transport errors and HTTP statuses. */
static bool
judge_transport(struct kg_doctor_report *r, const struct probe *p, const char *hint)
{
	char *id;

	if (!p->sent) {
		if (p->why_not != NULL)
			kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_CONFIG, "not checked: %s",
			              p->why_not);
		else
			kg_doctor_add(r, p->name, KG_DOCTOR_SKIP, 0, "not checked: %s is not set",
			              p->setting);
		return true;
	}
	if (!p->done) {
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE,
		              "no answer from %s; check the network and %s", p->url, p->setting);
		return true;
	}
	if (p->err != KG_ERR_OK) {
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE, "%s",
		              p->error ? p->error : kg_err_str(p->err));
		return true;
	}
	id = rid(p);
	if (p->status == 404) {
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_CONFIG,
		              "%s answered HTTP 404%s: %s", p->url, id, hint);
	} else if (p->status == 429) {
		kg_doctor_add(r, p->name, KG_DOCTOR_WARN, KG_EXIT_TEMPFAIL,
		              "%s is reachable but rate limits this machine (HTTP 429, retry after "
		              "%d s)%s; it passes by itself, wait and try again", p->url,
		              p->retry_after > 0 ? p->retry_after : 60, id);
	} else if (p->status >= 500 || p->status < 200) {
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE,
		              "%s answered HTTP %ld%s: the service has a problem; try again later "
		              "or tell its administrators", p->url, p->status, id);
	} else {
		free(id);
		return false;
	}
	free(id);
	return true;
}

/* ServiceNow and Kigo: reachable and verified; 401/403 without a login is expected. */
static void
judge_api(struct kg_doctor_report *r, const struct probe *p, const char *hint)
{
	if (judge_transport(r, p, hint))
		return;
	if (p->html != NULL) {
		/* the API never answers HTML: something else stands in between */
		char *id = rid(p);

		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE,
		              "%s answered HTTP %ld with %s%s; check https_proxy and no_proxy, and %s",
		              p->url, p->status, p->html, id, p->setting);
		free(id);
	} else if (p->status == 401 || p->status == 403)
		kg_doctor_add(r, p->name, KG_DOCTOR_OK, 0,
		              "%s answers over verified TLS (HTTP %ld without a login, as expected)",
		              p->url, p->status);
	else if (p->status >= 200 && p->status < 300)
		kg_doctor_add(r, p->name, KG_DOCTOR_OK, 0, "%s answers over verified TLS (HTTP %ld)",
		              p->url, p->status);
	else
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE,
		              "%s answered HTTP %ld: %s", p->url, p->status, hint);
}

/* The IdP: a discovery document that parses, names our issuer and the device endpoint. */
static void
judge_idp(struct kg_doctor_report *r, const struct probe *p, const struct kg_config *cfg)
{
	struct kg_oidc_discovery d = { 0 };
	char *cause = NULL;

	if (judge_transport(r, p, "no discovery document there; [okta] issuer must be the "
	                          "authorization server's issuer, e.g. "
	                          "https://example.okta.com/oauth2/default"))
		return;
	if (p->status != 200) {
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE,
		              "%s answered HTTP %ld instead of the discovery document; check "
		              "[okta] issuer", p->url, p->status);
		return;
	}
	if (kg_oidc_parse_discovery(p->body ? p->body : "", p->body_len, &d, &cause) !=
	    KG_ERR_OK) {
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE,
		              "%s is not a usable discovery document: %s; check [okta] issuer",
		              p->url, cause ? cause : "it does not parse");
	} else if (kg_str_empty(d.device_authorization_endpoint)) {
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_CONFIG,
		              "%s names no device_authorization_endpoint: enable the Device "
		              "Authorization grant for the app and its access policy rule "
		              "(docs/deploy.md)", p->url);
	} else if (!kg_streq(d.issuer, cfg->okta_issuer)) {
		kg_doctor_add(r, p->name, KG_DOCTOR_FAIL, KG_EXIT_CONFIG,
		              "the discovery document names the issuer %s, not %s; set [okta] "
		              "issuer to exactly %s", d.issuer, cfg->okta_issuer, d.issuer);
	} else {
		kg_doctor_add(r, p->name, KG_DOCTOR_OK, 0,
		              "discovery document read; device login at %s",
		              d.device_authorization_endpoint);
	}
	kg_oidc_discovery_clear(&d);
	free(cause);
}

static void
send_probes(struct probe *pv, const struct kg_config *cfg, const struct kg_doctor_opts *opts,
            const char *ca_bundle, char **http_cause)
{
	struct kg_http_opts ho = {
		.ca_bundle = ca_bundle,
		.connect_timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : PROBE_TIMEOUT_MS,
		.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : PROBE_TIMEOUT_MS,
		.max_body = KG_OIDC_MAX_BODY,
		.max_retries = -1,
	};
	const char *sn_seg[] = { "api", "now", "table", cfg->sn_table ? cfg->sn_table : "incident",
		                 NULL };
	const char *sn_q[] = { "sysparm_limit", "1", NULL };
	const char *kigo_seg[] = { "catalog", NULL };
	const char *idp_seg[] = { ".well-known", "openid-configuration", NULL };
	struct kg_loop *loop = kg_loop_new();
	struct kg_http *http = kg_http_new(loop, &ho, http_cause);
	size_t i;

	if (cfg->sn_instance_url)
		pv[P_SN].url = kg_url_build(cfg->sn_instance_url, sn_seg, sn_q, NULL);
	if (cfg->kigo_api_url)
		pv[P_KIGO].url = kg_url_build(cfg->kigo_api_url, kigo_seg, NULL, NULL);
	if (cfg->okta_issuer)
		pv[P_IDP].url = kg_url_build(cfg->okta_issuer, idp_seg, NULL, NULL);
	if (http == NULL) {
		for (i = 0; i < P__COUNT; i++)
			pv[i].why_not = "HTTPS could not be set up (see the tls line)";
		goto out;
	}
	/* all three go out before the loop runs: they proceed at the same time */
	for (i = 0; i < P__COUNT; i++) {
		struct kg_http_req req = { .method = KG_HTTP_GET, .url = pv[i].url };

		if (pv[i].url == NULL)
			continue;
		pv[i].sent_ms = wall_ms();
		kg_http_send(http, &req, on_probe, &pv[i]);
		pv[i].sent = true;
	}
	while (kg_http_pending(http) > 0)
		kg_loop_once(loop, -1);
out:
	kg_http_free(&http);
	kg_loop_free(&loop);
}

/* The CA bundle line, once the probes have told whether it verifies. */
static void
judge_tls(struct kg_doctor_report *r, const struct kg_config *cfg, const struct probe *pv,
          int certs, const char *http_cause)
{
	char failed[64] = "", verified[64] = "";
	size_t i;

	for (i = 0; i < P__COUNT; i++) {
		char *dst = NULL;

		if (!pv[i].done)
			continue;
		if (pv[i].err == KG_ERR_TLS)
			dst = failed;
		else if (pv[i].err == KG_ERR_OK)
			dst = verified;
		if (dst != NULL) {
			size_t used = strlen(dst);

			snprintf(dst + used, 64 - used, "%s%s", used ? ", " : "", pv[i].name);
		}
	}
	if (http_cause != NULL) {
		kg_doctor_add(r, "tls", KG_DOCTOR_FAIL, KG_EXIT_CONFIG, "%s", http_cause);
	} else if (failed[0] != '\0') {
		if (cfg->tls_ca_bundle != NULL)
			kg_doctor_add(r, "tls", KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE,
			              "the CA bundle %s (%d certificate%s) does not verify the "
			              "certificate of %s: put the CA that signed it in that file",
			              cfg->tls_ca_bundle, certs, certs == 1 ? "" : "s", failed);
		else
			kg_doctor_add(r, "tls", KG_DOCTOR_FAIL, KG_EXIT_UNAVAILABLE,
			              "the system CA store does not verify the certificate of %s; if "
			              "a private CA signs it, set [tls] ca_bundle to its PEM file",
			              failed);
	} else if (cfg->tls_ca_bundle != NULL) {
		kg_doctor_add(r, "tls", KG_DOCTOR_OK, 0, "CA bundle %s: %d certificate%s%s%s",
		              cfg->tls_ca_bundle, certs, certs == 1 ? "" : "s",
		              verified[0] ? ", verified " : "", verified);
	} else {
		kg_doctor_add(r, "tls", KG_DOCTOR_OK, 0, "system CA store (no [tls] ca_bundle)%s%s",
		              verified[0] ? ", verified " : "", verified);
	}
}

static void
check_clock(struct kg_doctor_report *r, const struct probe *pv)
{
	int64_t skews[P__COUNT];
	const char *names[P__COUNT];
	size_t i, n = 0;
	char *text = NULL;
	enum kg_doctor_status st;

	for (i = 0; i < P__COUNT; i++) {
		if (!pv[i].done || pv[i].server_date <= 0)
			continue;
		/* The server stamped its Date somewhere between our send and
		 * its answer, truncated to the second: compare the middle of
		 * that second with the middle of the round trip, so a slow
		 * answer does not take seconds off the skew. */
		skews[n] = (pv[i].server_date * 1000 + 500 -
		            (pv[i].sent_ms + (pv[i].local_ms - pv[i].sent_ms) / 2)) / 1000;
		names[n] = pv[i].name;
		n++;
	}
	st = kg_doctor_check_clock(skews, names, n, &text);
	kg_doctor_add(r, "clock", st, KG_EXIT_TEMPFAIL, "%s", text);
	free(text);
}

/* ---- keyring ---- */

static void
check_keyring(struct kg_doctor_report *r, const struct kg_config *cfg)
{
	struct kg_secret_opts so = {
		.mode = cfg->secrets,
		.state_dir = cfg->state_dir,
		.issuer = cfg->okta_issuer,
		.client_id = cfg->okta_client_id,
	};
	struct kg_secret *s = NULL;
	char *notice = NULL, *cause = NULL;
	struct stat st;
	enum kg_err err;

	if (cfg->secrets == KG_SECRETS_MEMORY) {
		kg_doctor_add(r, "keyring", KG_DOCTOR_OK, 0, "secrets = memory: tokens are never "
		                                             "stored; you log in at each run");
		return;
	}
	if (cfg->secrets == KG_SECRETS_FILE && stat(cfg->state_dir, &st) != 0) {
		/* do not create the folder: that is the first real run's job */
		kg_doctor_add(r, "keyring", KG_DOCTOR_OK, 0, "secrets = file: tokens.json will be "
		                                             "created 0600 in %s", cfg->state_dir);
		return;
	}
	err = kg_secret_open(&so, &s, &notice, &cause);
	if (err != KG_ERR_OK) {
		kg_doctor_add(r, "keyring", KG_DOCTOR_FAIL, kg_err_exit(err), "secrets = %s: %s",
		              kg_config_enum_name("storage", "secrets", (int)cfg->secrets),
		              cause ? cause : kg_err_str(err));
	} else if (cfg->secrets == KG_SECRETS_FILE) {
		kg_doctor_add(r, "keyring", KG_DOCTOR_OK, 0, "secrets = file: tokens in %s/tokens.json "
		                                             "(0600)", cfg->state_dir);
	} else if (kg_secret_kind(s) == KG_SECRET_KEYRING) {
		kg_doctor_add(r, "keyring", KG_DOCTOR_OK, 0, "secrets = %s: a keyring (Secret "
		                                             "Service) answers and keeps the tokens",
		              kg_config_enum_name("storage", "secrets", (int)cfg->secrets));
	} else {
		kg_doctor_add(r, "keyring", KG_DOCTOR_OK, 0, "secrets = auto, no keyring answers: %s",
		              notice ? notice : "tokens are kept in memory for this run only");
	}
	kg_secret_close(&s);
	free(notice);
	free(cause);
}

/* ---- all of it ---- */

void
kg_doctor_run(const struct kg_config *cfg, const struct kg_doctor_opts *opts,
              struct kg_doctor_report *out)
{
	struct probe pv[P__COUNT] = {
		[P_SN] = { .name = "servicenow", .setting = "[servicenow] instance_url" },
		[P_KIGO] = { .name = "kigo", .setting = "[kigo] api_url" },
		[P_IDP] = { .name = "idp", .setting = "[okta] issuer" },
	};
	char *ca_why = NULL, *http_cause = NULL, *text = NULL;
	int certs = 0;
	size_t i;
	enum kg_doctor_status st;

	memset(out, 0, sizeof(*out));
	check_config(out, cfg, opts->system_path);
	if (cfg->tls_ca_bundle != NULL) {
		certs = ca_count(cfg->tls_ca_bundle, &ca_why);
		if (certs == 0)
			kg_set_cause(&ca_why, "the CA bundle %s holds no PEM certificate (no line "
			                      "\"-----BEGIN CERTIFICATE-----\"); set [tls] ca_bundle "
			                      "to the CA's PEM file", cfg->tls_ca_bundle);
	}
	if (ca_why == NULL)
		send_probes(pv, cfg, opts, cfg->tls_ca_bundle, &http_cause);
	else
		for (i = 0; i < P__COUNT; i++)
			pv[i].why_not = "the CA bundle cannot be used (see the tls line)";
	judge_tls(out, cfg, pv, certs, ca_why ? ca_why : http_cause);
	judge_api(out, &pv[P_SN], "this is not a ServiceNow Table API; check [servicenow] "
	                          "instance_url and table");
	judge_api(out, &pv[P_KIGO], "this is not the Kigo token API; check [kigo] api_url "
	                            "(it ends with /api/v1)");
	judge_idp(out, &pv[P_IDP], cfg);
	check_keyring(out, cfg);
	check_clock(out, pv);
	check_terminal(out, cfg, opts->tty_fd);
	st = kg_doctor_check_state(cfg->state_dir, &text);
	kg_doctor_add(out, "state", st, KG_EXIT_CONFIG, "%s", text);
	free(text);
	for (i = 0; i < P__COUNT; i++)
		probe_clear(&pv[i]);
	free(ca_why);
	free(http_cause);
}
