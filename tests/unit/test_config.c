/*
 * test_config.c - the option table, the INI parser (every error path), the
 * lookup order, and that kigo-tui.conf.example and kigo-tui.conf.5 follow
 * the table.  Criterion runs each test in its own process, so setenv() here
 * does not leak between tests.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kigo/config.h"

static struct kg_config cfg;
static char *cause;
static char tmpdir[64];

static void
fini(void)
{
	kg_config_clear(&cfg);
	free(cause);
	cause = NULL;
	if (tmpdir[0] != '\0') {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		cr_assert_eq(system(cmd), 0);
	}
}

static void
init(void)
{
	/* The environment of the developer must not leak into the tests. */
	unsetenv("KIGO_TUI_CONFIG");
	unsetenv("NO_COLOR");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/agent", 1);
}

TestSuite(config, .init = init, .fini = fini);

static const char *
mktmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kg-config-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	return tmpdir;
}

static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path = kg_xasprintf("%s/%s", dir, name);
	char *slash = strrchr(path, '/');
	FILE *fp;

	/* mkdir -p of the directories in the name */
	for (char *p = path + strlen(dir) + 1; p <= slash; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0700);
			*p = '/';
		}
	fp = fopen(path, "w");
	cr_assert_not_null(fp, "%s", path);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static enum kg_err
parse(const char *text)
{
	kg_config_clear(&cfg);
	free(cause);
	cause = NULL;
	return kg_config_parse(&cfg, "test.conf", text, strlen(text), &cause);
}

/* Parsing fails, and the message names file:line: and what is given. */
static void
bad(const char *text, unsigned line, const char *what)
{
	char prefix[32];

	cr_assert_eq(parse(text), KG_ERR_CONFIG, "accepted: %s", text);
	cr_assert_not_null(cause);
	snprintf(prefix, sizeof(prefix), "test.conf:%u: ", line);
	cr_assert(strncmp(cause, prefix, strlen(prefix)) == 0, "cause \"%s\" lacks %s", cause,
	          prefix);
	cr_assert_not_null(strstr(cause, what), "cause \"%s\" lacks \"%s\"", cause, what);
	cr_assert_null(strchr(cause, '\n'));
	cr_assert_null(strchr(cause, '\x1b'));
}

/* The example of the interface contract, verbatim. */
static const char contract_example[] =
	"[servicenow]\n"
	"instance_url = https://example.service-now.com\n"
	"table = incident                 # table the ticket lives in\n"
	"journal_field = work_notes       # or comments\n"
	"auth = okta                      # okta (Bearer from Okta) | basic\n"
	"username =                       # basic only; password from keyring or "
	"$KIGO_TUI_SN_PASSWORD\n"
	"\n"
	"[okta]\n"
	"issuer = https://example.okta.com/oauth2/default   # discovery: "
	"ISSUER/.well-known/openid-configuration\n"
	"client_id = 0oa1example\n"
	"scopes = openid profile offline_access\n"
	"\n"
	"[kigo]\n"
	"api_url = https://kigo.example.com/api/v1\n"
	"\n"
	"[tls]\n"
	"ca_bundle =                      # PEM file; empty = system store. Verification is "
	"never switched off.\n"
	"\n"
	"[storage]\n"
	"state_dir =                      # default $XDG_STATE_HOME/kigo-tui "
	"(~/.local/state/kigo-tui)\n"
	"secrets = auto                   # auto | keyring | file | memory\n"
	"\n"
	"[ui]\n"
	"color = auto                     # auto | always | never; NO_COLOR in the environment "
	"means never\n";

Test(config, defaults)
{
	kg_config_defaults(&cfg);
	cr_assert_null(cfg.path);
	cr_assert_null(cfg.sn_instance_url);
	cr_assert_str_eq(cfg.sn_table, "incident");
	cr_assert_str_eq(cfg.sn_journal_field, "work_notes");
	cr_assert_eq(cfg.sn_auth, KG_SN_AUTH_OKTA);
	cr_assert_str_eq(cfg.okta_scopes, "openid profile offline_access");
	cr_assert_eq(cfg.secrets, KG_SECRETS_AUTO);
	cr_assert_eq(cfg.color, KG_COLOR_AUTO);
	cr_assert_null(cfg.tls_ca_bundle);
}

Test(config, empty_text_gives_defaults_and_state_dir)
{
	cr_assert_eq(parse(""), KG_ERR_OK);
	cr_assert_str_eq(cfg.state_dir, "/home/agent/.local/state/kigo-tui");
	cr_assert_str_eq(cfg.sn_table, "incident");
	kg_config_clear(&cfg);
	cr_assert_eq(kg_config_parse(&cfg, NULL, NULL, 0, &cause), KG_ERR_OK);
}

Test(config, state_dir_from_xdg)
{
	setenv("XDG_STATE_HOME", "/var/xdg/state/", 1);
	cr_assert_eq(parse(""), KG_ERR_OK);
	cr_assert_str_eq(cfg.state_dir, "/var/xdg/state/kigo-tui");
	/* a relative XDG variable is ignored, as the spec says */
	setenv("XDG_STATE_HOME", "rel/state", 1);
	cr_assert_eq(parse(""), KG_ERR_OK);
	cr_assert_str_eq(cfg.state_dir, "/home/agent/.local/state/kigo-tui");
}

Test(config, state_dir_explicit_and_tilde)
{
	cr_assert_eq(parse("[storage]\nstate_dir = ~/kg/state/\n"), KG_ERR_OK);
	cr_assert_str_eq(cfg.state_dir, "/home/agent/kg/state");
	cr_assert_eq(parse("[storage]\nstate_dir = /srv/kg\n"), KG_ERR_OK);
	cr_assert_str_eq(cfg.state_dir, "/srv/kg");
	bad("[storage]\nstate_dir = kg/state\n", 2, "storage.state_dir");
	cr_assert_not_null(strstr(cause, "absolute"));
	bad("[tls]\nca_bundle = ./ca.pem\n", 2, "tls.ca_bundle");
}

Test(config, contract_example_parses)
{
	cr_assert_eq(parse(contract_example), KG_ERR_OK, "%s", cause ? cause : "");
	cr_assert_str_eq(cfg.sn_instance_url, "https://example.service-now.com");
	cr_assert_str_eq(cfg.sn_table, "incident");
	cr_assert_str_eq(cfg.sn_journal_field, "work_notes");
	cr_assert_null(cfg.sn_username);
	cr_assert_str_eq(cfg.okta_issuer, "https://example.okta.com/oauth2/default");
	cr_assert_str_eq(cfg.okta_client_id, "0oa1example");
	cr_assert_str_eq(cfg.okta_scopes, "openid profile offline_access");
	cr_assert_str_eq(cfg.kigo_api_url, "https://kigo.example.com/api/v1");
	cr_assert_null(cfg.tls_ca_bundle);
	cr_assert_str_eq(cfg.state_dir, "/home/agent/.local/state/kigo-tui");
}

Test(config, syntax_variants)
{
	const char *text = "\xef\xbb\xbf; a comment\r\n"
	                   "   # another\n"
	                   "\t[ servicenow ]   # trailing\r\n"
	                   "auth=basic\n"
	                   "  username   =   jane#doe   ; inline\r\n"
	                   "table = x_kigo_case\n"
	                   "journal_field = comments\n"
	                   "[ui]\n"
	                   "color = never\n"
	                   "[storage]\n"
	                   "secrets = memory";
	cr_assert_eq(parse(text), KG_ERR_OK, "%s", cause ? cause : "");
	cr_assert_eq(cfg.sn_auth, KG_SN_AUTH_BASIC);
	/* '#' only starts a comment at the start or after a blank */
	cr_assert_str_eq(cfg.sn_username, "jane#doe");
	cr_assert_str_eq(cfg.sn_table, "x_kigo_case");
	cr_assert_str_eq(cfg.sn_journal_field, "comments");
	cr_assert_eq(cfg.color, KG_COLOR_NEVER);
	cr_assert_eq(cfg.secrets, KG_SECRETS_MEMORY);
}

Test(config, sections_may_reopen)
{
	cr_assert_eq(parse("[okta]\nclient_id = a\n[ui]\ncolor = always\n[okta]\nscopes = openid\n"),
	             KG_ERR_OK);
	cr_assert_str_eq(cfg.okta_scopes, "openid");
	cr_assert_eq(cfg.color, KG_COLOR_ALWAYS);
}

Test(config, url_normalized)
{
	cr_assert_eq(parse("[kigo]\napi_url = HTTPS://Kigo.Example.com:8443/api/v1/\n"), KG_ERR_OK,
	             "%s", cause ? cause : "");
	cr_assert_str_eq(cfg.kigo_api_url, "https://Kigo.Example.com:8443/api/v1");
	cr_assert_eq(parse("[servicenow]\ninstance_url = https://sn.example.com\n"), KG_ERR_OK);
	cr_assert_str_eq(cfg.sn_instance_url, "https://sn.example.com");
	cr_assert_eq(parse("[servicenow]\ninstance_url =\n"), KG_ERR_OK);
	cr_assert_null(cfg.sn_instance_url);
}

Test(config, err_unknown_section)
{
	bad("[servicenow]\ntable = incident\n\n[servicnow]\n", 4, "[servicnow]: unknown section");
	cr_assert_not_null(strstr(cause, "servicenow, okta"));
	bad("[Servicenow]\n", 1, "unknown section");
	bad("[]\n", 1, "unknown section");
	bad("[ui\n", 1, "must end with ']'");
	bad("[ui] x\n", 1, "must end with ']'");
}

Test(config, err_unknown_key)
{
	bad("[servicenow]\ntabel = incident\n", 2, "servicenow.tabel: unknown key");
	cr_assert_not_null(strstr(cause, "instance_url, table, journal_field"));
	bad("[ui]\ncolor = auto\nissuer = https://x.example\n", 3, "ui.issuer: unknown key");
	bad("[ui]\n = auto\n", 2, "unknown key");
	bad("[ui]\nCOLOR = auto\n", 2, "ui.COLOR");
	bad("[ui]\nco lor = auto\n", 2, "unknown key");
}

Test(config, err_key_outside_section)
{
	bad("# c\ncolor = auto\n", 2, "color: key outside a section");
}

Test(config, err_not_a_key_value)
{
	bad("[ui]\ncolor auto\n", 2, "expected 'key = value'");
}

Test(config, err_duplicate_key)
{
	bad("[ui]\ncolor = auto\n\ncolor = never\n", 4, "ui.color: duplicate key");
	cr_assert_not_null(strstr(cause, "line 2"));
	bad("[okta]\nclient_id = a\n[ui]\n[okta]\nclient_id = b\n", 5, "okta.client_id: duplicate");
}

Test(config, err_bad_url)
{
	bad("[okta]\nissuer = http://okta.example.com\n", 2, "okta.issuer: bad value");
	cr_assert_not_null(strstr(cause, "https"));
	bad("[kigo]\napi_url = ftp://kigo.example.com\n", 2, "kigo.api_url");
	bad("[kigo]\napi_url = kigo.example.com/api\n", 2, "kigo.api_url");
	bad("[kigo]\napi_url = https://\n", 2, "kigo.api_url");
	bad("[kigo]\napi_url = javascript:alert(1)\n", 2, "kigo.api_url");
	bad("[kigo]\napi_url = https://u:p@kigo.example.com\n", 2, "password");
	bad("[kigo]\napi_url = https://kigo.example.com/a?b=c\n", 2, "query");
	bad("[kigo]\napi_url = https://kigo.example.com/a#b\n", 2, "kigo.api_url");
	bad("[servicenow]\ninstance_url = https://sn example.com\n", 2, "servicenow.instance_url");
}

Test(config, err_bad_enum)
{
	bad("[ui]\ncolor = blue\n", 2, "ui.color: bad value \"blue\"");
	cr_assert_not_null(strstr(cause, "auto, always, never"));
	bad("[servicenow]\nauth = OKTA\n", 2, "servicenow.auth");
	bad("[storage]\nsecrets =\n", 2, "storage.secrets");
	bad("[servicenow]\njournal_field = description\n", 2, "work_notes, comments");
	bad("[servicenow]\ntable = incident^ORactive=true\n", 2, "servicenow.table");
	bad("[servicenow]\ntable =\n", 2, "must not be empty");
}

Test(config, err_control_characters)
{
	bad("[okta]\nclient_id = a\x1b[2Jb\n", 2, "control character");
	cr_assert_not_null(strstr(cause, "\\x1B"));
	bad("[okta]\nclient_id = a\rb\n", 2, "control character");
	kg_config_clear(&cfg);
	kg_free(&cause);
	cr_assert_eq(kg_config_parse(&cfg, "nul.conf", "[ui]\0x", 6, &cause), KG_ERR_CONFIG);
	cr_assert_not_null(strstr(cause, "NUL"));
}

Test(config, no_color)
{
	setenv("NO_COLOR", "1", 1);
	cr_assert_eq(parse("[ui]\ncolor = always\n"), KG_ERR_OK);
	cr_assert_eq(cfg.color, KG_COLOR_NEVER);
	setenv("NO_COLOR", "", 1);
	cr_assert_eq(parse("[ui]\ncolor = always\n"), KG_ERR_OK);
	cr_assert_eq(cfg.color, KG_COLOR_ALWAYS);
}

Test(config, enum_names)
{
	cr_assert_str_eq(kg_config_enum_name("storage", "secrets", KG_SECRETS_FILE), "file");
	cr_assert_str_eq(kg_config_enum_name("ui", "color", KG_COLOR_NEVER), "never");
	cr_assert_str_eq(kg_config_enum_name("servicenow", "auth", KG_SN_AUTH_BASIC), "basic");
	cr_assert_null(kg_config_enum_name("ui", "color", 7));
	cr_assert_null(kg_config_enum_name("okta", "issuer", 0));
}

Test(config, find_order)
{
	const char *d = mktmp();
	char *xdg = kg_xasprintf("%s/xdg", d), *sys = kg_xasprintf("%s/etc.conf", d), *env;
	char *path = NULL;

	setenv("XDG_CONFIG_HOME", xdg, 1);
	/* nothing anywhere: no file, no error */
	cr_assert_eq(kg_config_find(NULL, sys, &path, &cause), KG_ERR_OK);
	cr_assert_null(path);
	free(write_file(d, "etc.conf", "[ui]\n"));
	cr_assert_eq(kg_config_find(NULL, sys, &path, &cause), KG_ERR_OK);
	cr_assert_str_eq(path, sys);
	kg_free(&path);
	free(write_file(d, "xdg/kigo-tui/kigo-tui.conf", "[ui]\n"));
	cr_assert_eq(kg_config_find(NULL, sys, &path, &cause), KG_ERR_OK);
	cr_assert_not_null(strstr(path, "/xdg/kigo-tui/kigo-tui.conf"));
	kg_free(&path);
	env = write_file(d, "env.conf", "[ui]\n");
	setenv("KIGO_TUI_CONFIG", env, 1);
	cr_assert_eq(kg_config_find(NULL, sys, &path, &cause), KG_ERR_OK);
	cr_assert_str_eq(path, env);
	kg_free(&path);
	cr_assert_eq(kg_config_find(sys, sys, &path, &cause), KG_ERR_OK);
	cr_assert_str_eq(path, sys);
	kg_free(&path);
	free(env);
	free(xdg);
	free(sys);
}

Test(config, find_home_default)
{
	const char *d = mktmp();
	char *path = NULL;

	setenv("HOME", d, 1);
	free(write_file(d, ".config/kigo-tui/kigo-tui.conf", "[ui]\n"));
	cr_assert_eq(kg_config_find(NULL, "/nonexistent/kigo-tui.conf", &path, &cause), KG_ERR_OK);
	cr_assert_not_null(path);
	cr_assert_not_null(strstr(path, "/.config/kigo-tui/kigo-tui.conf"));
	free(path);
}

Test(config, named_file_must_exist)
{
	char *path = NULL;

	cr_assert_eq(kg_config_find("/nonexistent/x.conf", NULL, &path, &cause), KG_ERR_CONFIG);
	cr_assert_null(path);
	cr_assert_not_null(strstr(cause, "/nonexistent/x.conf"));
	cr_assert_not_null(strstr(cause, "-c"));
	kg_free(&cause);
	setenv("KIGO_TUI_CONFIG", "/nonexistent/env.conf", 1);
	cr_assert_eq(kg_config_find(NULL, NULL, &path, &cause), KG_ERR_CONFIG);
	cr_assert_not_null(strstr(cause, "KIGO_TUI_CONFIG"));
	kg_free(&cause);
	cr_assert_eq(kg_config_load(&cfg, "/nonexistent/x.conf", &cause), KG_ERR_CONFIG);
}

Test(config, load_reads_file_and_reports_path)
{
	const char *d = mktmp();
	char *p = write_file(d, "k.conf", "[ui]\ncolor = never\n");
	char *broken = write_file(d, "b.conf", "[ui]\n\ncolour = never\n");

	cr_assert_eq(kg_config_load(&cfg, p, &cause), KG_ERR_OK, "%s", cause ? cause : "");
	cr_assert_str_eq(cfg.path, p);
	cr_assert_eq(cfg.color, KG_COLOR_NEVER);
	kg_config_clear(&cfg);
	cr_assert_eq(kg_config_load(&cfg, broken, &cause), KG_ERR_CONFIG);
	cr_assert_not_null(strstr(cause, "b.conf:3: ui.colour"), "%s", cause);
	kg_config_clear(&cfg);
	kg_free(&cause);
	/* a directory is not a configuration file */
	cr_assert_eq(kg_config_load(&cfg, d, &cause), KG_ERR_CONFIG);
	cr_assert_not_null(strstr(cause, "regular file"));
	free(p);
	free(broken);
}

Test(config, load_without_any_file)
{
	const char *d = mktmp();

	setenv("HOME", d, 1);
	setenv("XDG_CONFIG_HOME", d, 1);
	/* /etc/kigo-tui.conf is not expected on a build machine */
	if (access(KG_CONFIG_SYSTEM_PATH, F_OK) == 0)
		cr_skip_test("%s exists here", KG_CONFIG_SYSTEM_PATH);
	cr_assert_eq(kg_config_load(&cfg, NULL, &cause), KG_ERR_OK);
	cr_assert_null(cfg.path);
	cr_assert_not_null(cfg.state_dir);
	cr_assert_str_eq(cfg.sn_table, "incident");
}

Test(config, load_refuses_huge_file)
{
	const char *d = mktmp();
	char *p = kg_xasprintf("%s/big.conf", d);
	FILE *fp = fopen(p, "w");

	for (int i = 0; i < KG_CONFIG_MAX_BYTES / 10 + 10; i++)
		fputs("# padding\n", fp);
	fclose(fp);
	cr_assert_eq(kg_config_load(&cfg, p, &cause), KG_ERR_CONFIG);
	cr_assert_not_null(strstr(cause, "larger than"));
	free(p);
}

Test(config, load_unreadable)
{
	const char *d = mktmp();
	char *p = write_file(d, "secret.conf", "[ui]\n");

	chmod(p, 0);
	if (access(p, R_OK) == 0) {
		free(p);
		cr_skip_test("running as root: permissions are not enforced");
	}
	cr_assert_eq(kg_config_load(&cfg, p, &cause), KG_ERR_CONFIG);
	cr_assert_not_null(strstr(cause, "cannot read"));
	free(p);
}

/* ---- the table drives the example and the man page ---- */

static char *
slurp_repo_file(const char *rel)
{
	const char *root = getenv("KG_TEST_ROOT");
	char *path = kg_xasprintf("%s/%s", root != NULL ? root : ".", rel);
	FILE *fp = fopen(path, "rb");
	char *text = kg_xcalloc(1, 256 * 1024);
	size_t n;

	cr_assert_not_null(fp, "cannot open %s (set KG_TEST_ROOT)", path);
	n = fread(text, 1, 256 * 1024 - 1, fp);
	text[n] = '\0';
	fclose(fp);
	free(path);
	return text;
}

Test(config, example_file_is_generated_from_table)
{
	char *gen = kg_config_example(), *committed = slurp_repo_file("kigo-tui.conf.example");

	if (strcmp(gen, committed) != 0) {
		const char *build = getenv("BUILD");
		char *out = kg_xasprintf("%s/kigo-tui.conf.example.new", build ? build : "build");
		FILE *fp = fopen(out, "w");

		if (fp != NULL) {
			fputs(gen, fp);
			fclose(fp);
		}
		cr_assert_fail("kigo-tui.conf.example differs from the option table; "
		               "the generated text is in %s: copy it over", out);
	}
	free(gen);
	free(committed);
}

Test(config, example_parses_and_names_every_option)
{
	char *gen = kg_config_example();
	size_t n;
	const struct kg_option *o = kg_config_options(&n);

	cr_assert_eq(parse(gen), KG_ERR_OK, "%s", cause ? cause : "");
	for (size_t i = 0; i < n; i++) {
		char *sec = kg_xasprintf("[%s]\n", o[i].section);
		char *key = kg_xasprintf("\n%s =", o[i].key);

		cr_assert_not_null(strstr(gen, sec), "%s", sec);
		cr_assert_not_null(strstr(gen, key), "%s", key);
		free(sec);
		free(key);
	}
	free(gen);
}

Test(config, man_page_names_every_option)
{
	char *man = slurp_repo_file("man/kigo-tui.conf.5");
	size_t n;
	const struct kg_option *o = kg_config_options(&n);

	for (size_t i = 0; i < n; i++) {
		/* a subsection per section, an item per key */
		char *sec = kg_xasprintf("\n.Ss \\&[%s]", o[i].section);
		char *key = kg_xasprintf("\n.It Cm %s\n", o[i].key);

		cr_assert_not_null(strstr(man, sec), "man/kigo-tui.conf.5 lacks %s", sec);
		cr_assert_not_null(strstr(man, key), "man/kigo-tui.conf.5 lacks %s", key);
		for (int c = 0; o[i].choices != NULL && o[i].choices[c] != NULL; c++)
			cr_assert_not_null(strstr(man, o[i].choices[c]), "%s.%s: %s", o[i].section,
			                   o[i].key, o[i].choices[c]);
		free(sec);
		free(key);
	}
	free(man);
}

Test(config, table_is_consistent)
{
	size_t n;
	const struct kg_option *o = kg_config_options(&n);

	cr_assert_gt(n, 10);
	for (size_t i = 0; i < n; i++) {
		cr_assert_not_null(o[i].help);
		cr_assert_not_null(o[i].example);
		cr_assert((o[i].type == KG_OPT_ENUM) == (o[i].choices != NULL) ||
		          o[i].type == KG_OPT_NAME);
		for (size_t j = 0; j < i; j++)
			cr_assert(strcmp(o[i].section, o[j].section) != 0 ||
			          strcmp(o[i].key, o[j].key) != 0, "duplicate %s", o[i].key);
	}
}
