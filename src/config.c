/*
 * config.c - the option table and everything it drives: defaults, the INI
 * parser, the lookup of the file and kigo-tui.conf.example.
 *
 * One table, one truth: adding an option means adding one row here (and a
 * paragraph to man/kigo-tui.conf.5, which a test enforces).  The parser is
 * strict: an unknown section or key, a duplicate key or a bad value is an
 * error naming the file, the line and the key, never a silent default.
 * This module must never touch the network; it reads the environment only
 * for the XDG directories, HOME, KIGO_TUI_CONFIG and NO_COLOR.
 */
#include "kigo/config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kigo/buf.h"
#include "kigo/cli.h"

#define OFF(field) offsetof(struct kg_config, field)

_Static_assert(sizeof(enum kg_sn_auth) == sizeof(int), "enum options are stored as int");
_Static_assert(sizeof(enum kg_secrets) == sizeof(int), "enum options are stored as int");
_Static_assert(sizeof(enum kg_color) == sizeof(int), "enum options are stored as int");

static const char *const journal_choices[] = { "work_notes", "comments", NULL };
static const char *const auth_choices[] = { "okta", "basic", NULL };
static const char *const secrets_choices[] = { "auto", "keyring", "file", "memory", NULL };
static const char *const color_choices[] = { "auto", "always", "never", NULL };

/* The order of ENUM choices is the order of the C enum. */
static const struct kg_option options[] = {
	{ .section = "servicenow", .key = "instance_url", .type = KG_OPT_URL,
	  .default_value = "", .example = "https://example.service-now.com",
	  .help = "Base URL of the ServiceNow instance the tickets live in.",
	  .offset = OFF(sn_instance_url) },
	{ .section = "servicenow", .key = "table", .type = KG_OPT_NAME,
	  .default_value = "incident", .example = "incident",
	  .help = "Table the ticket lives in.",
	  .offset = OFF(sn_table) },
	{ .section = "servicenow", .key = "journal_field", .type = KG_OPT_NAME,
	  .default_value = "work_notes", .choices = journal_choices, .example = "work_notes",
	  .help = "Journal field the summary is written to.",
	  .offset = OFF(sn_journal_field) },
	{ .section = "servicenow", .key = "auth", .type = KG_OPT_ENUM,
	  .default_value = "okta", .choices = auth_choices, .example = "okta",
	  .help = "How to authenticate to ServiceNow: okta (Bearer token from Okta) or basic.",
	  .offset = OFF(sn_auth) },
	{ .section = "servicenow", .key = "username", .type = KG_OPT_STRING,
	  .default_value = "", .example = "",
	  .help = "User name for basic authentication; the password comes from the keyring "
	          "or $KIGO_TUI_SN_PASSWORD.",
	  .offset = OFF(sn_username) },
	{ .section = "okta", .key = "issuer", .type = KG_OPT_URL,
	  .default_value = "", .example = "https://example.okta.com/oauth2/default",
	  .help = "Okta issuer; discovery reads ISSUER/.well-known/openid-configuration.",
	  .offset = OFF(okta_issuer) },
	{ .section = "okta", .key = "client_id", .type = KG_OPT_STRING,
	  .default_value = "", .example = "0oa1example",
	  .help = "Client id of the native (device code) application in Okta.",
	  .offset = OFF(okta_client_id) },
	{ .section = "okta", .key = "scopes", .type = KG_OPT_STRING,
	  .default_value = "openid profile offline_access", .example = "openid profile offline_access",
	  .help = "Scopes requested at login, separated by spaces.",
	  .offset = OFF(okta_scopes) },
	{ .section = "kigo", .key = "api_url", .type = KG_OPT_URL,
	  .default_value = "", .example = "https://kigo.example.com/api/v1",
	  .help = "Base URL of the Kigo token API.",
	  .offset = OFF(kigo_api_url) },
	{ .section = "tls", .key = "ca_bundle", .type = KG_OPT_PATH,
	  .default_value = "", .example = "",
	  .help = "PEM file of trusted CA certificates; empty means the system store. "
	          "Verification is never switched off.",
	  .offset = OFF(tls_ca_bundle) },
	{ .section = "storage", .key = "state_dir", .type = KG_OPT_PATH,
	  .default_value = "", .example = "",
	  .help = "Directory of the cache, the outbox and the log; empty means "
	          "$XDG_STATE_HOME/kigo-tui (~/.local/state/kigo-tui).",
	  .offset = OFF(state_dir) },
	{ .section = "storage", .key = "secrets", .type = KG_OPT_ENUM,
	  .default_value = "auto", .choices = secrets_choices, .example = "auto",
	  .help = "Where tokens are kept: auto (keyring when one answers, else memory), "
	          "keyring, file (in state_dir, mode 0600) or memory.",
	  .offset = OFF(secrets) },
	{ .section = "ui", .key = "color", .type = KG_OPT_ENUM,
	  .default_value = "auto", .choices = color_choices, .example = "auto",
	  .help = "Use colors: auto, always or never; NO_COLOR in the environment means never.",
	  .offset = OFF(color) },
};

const struct kg_option *
kg_config_options(size_t *n)
{
	if (n != NULL)
		*n = KG_ARRAY_LEN(options);
	return options;
}

static char **
str_slot(struct kg_config *cfg, const struct kg_option *o)
{
	return (char **)(void *)((char *)cfg + o->offset);
}

static void
set_enum(struct kg_config *cfg, const struct kg_option *o, int v)
{
	memcpy((char *)cfg + o->offset, &v, sizeof(v));
}

static int
choice_index(const struct kg_option *o, const char *v)
{
	for (int i = 0; o->choices != NULL && o->choices[i] != NULL; i++)
		if (strcmp(o->choices[i], v) == 0)
			return i;
	return -1;
}

static const struct kg_option *
find_option(const char *section, const char *key)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(options); i++)
		if (strcmp(options[i].section, section) == 0 &&
		    (key == NULL || strcmp(options[i].key, key) == 0))
			return &options[i];
	return NULL;
}

const char *
kg_config_enum_name(const char *section, const char *key, int value)
{
	const struct kg_option *o = find_option(section, key);
	int n = 0;

	if (o == NULL || o->type != KG_OPT_ENUM)
		return NULL;
	while (o->choices[n] != NULL)
		n++;
	return value >= 0 && value < n ? o->choices[value] : NULL;
}

void
kg_config_clear(struct kg_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	for (size_t i = 0; i < KG_ARRAY_LEN(options); i++)
		if (options[i].type != KG_OPT_ENUM)
			free(*str_slot(cfg, &options[i]));
	memset(cfg, 0, sizeof(*cfg));
}

/* The home directory: $HOME when absolute, else the password database. */
static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && h[0] == '/')
		return h;
	pw = getpwuid(getuid());
	return pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/' ? pw->pw_dir : "/";
}

/* Drop trailing slashes, keeping "/" itself. */
static void
strip_slashes(char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* An XDG base directory: the variable when absolute (the spec ignores a
 * relative one), else HOME/fallback.  Caller frees. */
static char *
xdg_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var);

	if (v != NULL && v[0] == '/') {
		char *d = kg_xstrdup(v);

		strip_slashes(d);
		return d;
	}
	return kg_xasprintf("%s/%s", home_dir(), fallback);
}

void
kg_config_defaults(struct kg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < KG_ARRAY_LEN(options); i++) {
		const struct kg_option *o = &options[i];

		if (o->type == KG_OPT_ENUM)
			set_enum(cfg, o, choice_index(o, o->default_value));
		else if (o->default_value[0] != '\0')
			*str_slot(cfg, o) = kg_xstrdup(o->default_value);
	}
}

/* What the environment and the derived defaults impose after the file. */
static void
finish(struct kg_config *cfg)
{
	const char *nc = getenv("NO_COLOR");

	if (cfg->state_dir == NULL) {
		char *base = xdg_dir("XDG_STATE_HOME", ".local/state");

		cfg->state_dir = kg_xasprintf("%s/kigo-tui", base);
		free(base);
	}
	strip_slashes(cfg->state_dir);
	/* no-color.org: present and not empty */
	if (nc != NULL && nc[0] != '\0')
		cfg->color = KG_COLOR_NEVER;
}

/* ---- values ---- */

/* Checks and converts one value; on error sets *why (caller frees). */
static enum kg_err
check_url(const char *v, char **out, char **why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *user = NULL, *pass = NULL, *frag = NULL, *query = NULL, *full = NULL;
	enum kg_err err = KG_ERR_CONFIG;
	CURLUcode rc;

	if (u == NULL)
		kg_fatal("curl_url: out of memory");
	rc = curl_url_set(u, CURLUPART_URL, v, 0);
	if (rc != CURLUE_OK) {
		kg_set_cause(why, "not a valid URL (%s); write it as https://HOST/PATH",
		             curl_url_strerror(rc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (scheme == NULL || strcmp(scheme, "https") != 0) {
		kg_set_cause(why, "must be an https URL (TLS is required)");
		goto out;
	}
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
	if (user != NULL || pass != NULL) {
		kg_set_cause(why, "must not hold a user name or password; remove the 'user@' part");
		goto out;
	}
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	if (query != NULL || frag != NULL) {
		kg_set_cause(why, "must not have a query (?...) or fragment (#...)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
		kg_fatal("curl_url_get: out of memory");
	*out = kg_xstrdup(full);
	strip_slashes(*out);
	err = KG_ERR_OK;
out:
	curl_free(scheme);
	curl_free(user);
	curl_free(pass);
	curl_free(query);
	curl_free(frag);
	curl_free(full);
	curl_url_cleanup(u);
	return err;
}

static enum kg_err
check_path(const char *v, char **out, char **why)
{
	if (v[0] == '~' && (v[1] == '/' || v[1] == '\0'))
		*out = kg_xasprintf("%s%s", home_dir(), v + 1);
	else if (v[0] == '/')
		*out = kg_xstrdup(v);
	else {
		kg_set_cause(why, "must be an absolute path or start with ~/");
		return KG_ERR_CONFIG;
	}
	strip_slashes(*out);
	return KG_ERR_OK;
}

static void
set_choices_cause(const struct kg_option *o, char **why)
{
	struct kg_buf b;

	kg_buf_init(&b, 0);
	kg_buf_puts(&b, "must be one of: ");
	for (int i = 0; o->choices[i] != NULL; i++)
		kg_buf_printf(&b, "%s%s", i ? ", " : "", o->choices[i]);
	kg_set_cause(why, "%s", kg_buf_str(&b));
	kg_buf_free(&b);
}

static enum kg_err
set_value(struct kg_config *cfg, const struct kg_option *o, const char *v, char **why)
{
	char *conv = NULL;
	enum kg_err err = KG_ERR_OK;
	int idx;

	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			kg_set_cause(why, "contains a control character");
			return KG_ERR_CONFIG;
		}
	if (v[0] == '\0') {
		if (o->type == KG_OPT_ENUM || o->default_value[0] != '\0') {
			if (o->choices != NULL)
				set_choices_cause(o, why);
			else
				kg_set_cause(why, "must not be empty (default: %s)", o->default_value);
			return KG_ERR_CONFIG;
		}
		kg_free(str_slot(cfg, o));
		return KG_ERR_OK;
	}
	switch (o->type) {
	case KG_OPT_ENUM:
		idx = choice_index(o, v);
		if (idx < 0) {
			set_choices_cause(o, why);
			return KG_ERR_CONFIG;
		}
		set_enum(cfg, o, idx);
		return KG_ERR_OK;
	case KG_OPT_NAME:
		for (const char *p = v; *p != '\0'; p++)
			if (!(*p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z'))) {
				kg_set_cause(why, "must be a name of letters, digits and '_'");
				return KG_ERR_CONFIG;
			}
		if (o->choices != NULL && choice_index(o, v) < 0) {
			set_choices_cause(o, why);
			return KG_ERR_CONFIG;
		}
		conv = kg_xstrdup(v);
		break;
	case KG_OPT_URL:
		err = check_url(v, &conv, why);
		break;
	case KG_OPT_PATH:
		err = check_path(v, &conv, why);
		break;
	case KG_OPT_STRING:
		conv = kg_xstrdup(v);
		break;
	}
	if (err != KG_ERR_OK)
		return err;
	free(*str_slot(cfg, o));
	*str_slot(cfg, o) = conv;
	return KG_ERR_OK;
}

/* ---- the INI parser ---- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim in place: returns the first non-blank and cuts trailing blanks. */
static char *
trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Cut a trailing comment: '#' or ';' at the start or after a blank. */
static void
cut_comment(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if ((*p == '#' || *p == ';') && (p == s || is_space(p[-1]))) {
			*p = '\0';
			return;
		}
}

static bool
valid_ident(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!(*s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z')))
			return false;
	return true;
}

/* "known: a, b, c" for the keys of a section, or the section list. */
static char *
known_list(const char *section)
{
	struct kg_buf b;
	const char *last = NULL;

	kg_buf_init(&b, 0);
	for (size_t i = 0; i < KG_ARRAY_LEN(options); i++) {
		const char *name = section != NULL ? options[i].key : options[i].section;

		if (section != NULL && strcmp(options[i].section, section) != 0)
			continue;
		if (last != NULL && strcmp(last, name) == 0)
			continue;
		kg_buf_printf(&b, "%s%s", last != NULL ? ", " : "", name);
		last = name;
	}
	return kg_buf_steal(&b);
}

enum kg_err
kg_config_parse(struct kg_config *cfg, const char *name, const char *text, size_t len,
                char **cause)
{
	bool seen[KG_ARRAY_LEN(options)] = { false };
	unsigned seen_line[KG_ARRAY_LEN(options)] = { 0 };
	char *copy = NULL, *line, *next, *section = NULL, *why = NULL, *q = NULL, *known = NULL;
	enum kg_err err = KG_ERR_CONFIG;
	unsigned lineno = 0;

	kg_config_defaults(cfg);
	if (name == NULL)
		name = "(config)";
	if (text == NULL)
		len = 0;
	if (memchr(text != NULL ? text : "", '\0', len) != NULL) {
		kg_set_cause(cause, "%s: contains a NUL byte; is it a text file?", name);
		goto out;
	}
	copy = kg_xstrndup(text != NULL ? text : "", len);
	for (line = copy; line != NULL; line = next) {
		char *eq, *key, *val, *raw;
		const struct kg_option *o;

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
			line += 3; /* UTF-8 byte order mark */
		raw = trim(line);
		if (raw[0] != '\0' && raw[strlen(raw) - 1] == '\r')
			raw[strlen(raw) - 1] = '\0';
		raw = trim(raw);
		if (raw[0] == '\0' || raw[0] == '#' || raw[0] == ';')
			continue;
		if (raw[0] == '[') {
			char *end;

			cut_comment(raw + 1);
			raw = trim(raw);
			end = raw + strlen(raw) - 1;
			if (*end != ']') {
				q = kg_cli_quote(raw, 60);
				kg_set_cause(cause, "%s:%u: %s: a section header must end with ']'",
				             name, lineno, q);
				goto out;
			}
			*end = '\0';
			section = trim(raw + 1);
			if (!valid_ident(section) || find_option(section, NULL) == NULL) {
				q = kg_cli_quote(section, 60);
				known = known_list(NULL);
				kg_set_cause(cause, "%s:%u: [%s]: unknown section (known: %s)", name,
				             lineno, q, known);
				goto out;
			}
			continue;
		}
		eq = strchr(raw, '=');
		if (eq == NULL) {
			q = kg_cli_quote(raw, 60);
			kg_set_cause(cause, "%s:%u: %s: expected 'key = value' or '[section]'", name,
			             lineno, q);
			goto out;
		}
		*eq = '\0';
		key = trim(raw);
		val = eq + 1;
		cut_comment(val);
		val = trim(val);
		if (section == NULL) {
			q = kg_cli_quote(key, 60);
			kg_set_cause(cause, "%s:%u: %s: key outside a section; put it under its "
			             "[section] header", name, lineno, q);
			goto out;
		}
		o = valid_ident(key) ? find_option(section, key) : NULL;
		if (o == NULL) {
			q = kg_cli_quote(key, 60);
			known = known_list(section);
			kg_set_cause(cause, "%s:%u: %s.%s: unknown key in [%s] (known: %s)", name,
			             lineno, section, q, section, known);
			goto out;
		}
		if (seen[o - options]) {
			kg_set_cause(cause, "%s:%u: %s.%s: duplicate key (first set on line %u); "
			             "keep only one", name, lineno, section, key,
			             seen_line[o - options]);
			goto out;
		}
		seen[o - options] = true;
		seen_line[o - options] = lineno;
		if (set_value(cfg, o, val, &why) != KG_ERR_OK) {
			q = kg_cli_quote(val, 80);
			kg_set_cause(cause, "%s:%u: %s.%s: bad value \"%s\": %s", name, lineno,
			             section, key, q, why);
			goto out;
		}
	}
	finish(cfg);
	err = KG_ERR_OK;
out:
	free(copy);
	free(why);
	free(q);
	free(known);
	return err;
}

/* ---- finding and reading the file ---- */

enum kg_err
kg_config_find(const char *explicit_path, const char *system_path, char **path, char **cause)
{
	const char *env = getenv("KIGO_TUI_CONFIG");
	const char *named = explicit_path != NULL ? explicit_path : env;
	char *base, *cand[2];
	enum kg_err err = KG_ERR_OK;

	*path = NULL;
	if (named != NULL && named[0] != '\0') {
		/* A file the user named must exist: a typo must not mean defaults. */
		if (access(named, F_OK) != 0) {
			char *q = kg_cli_quote(named, 200);

			kg_set_cause(cause, "%s: cannot read the configuration file named by %s: %s",
			             q, explicit_path != NULL ? "-c" : "$KIGO_TUI_CONFIG",
			             strerror(errno));
			free(q);
			return KG_ERR_CONFIG;
		}
		*path = kg_xstrdup(named);
		return KG_ERR_OK;
	}
	base = xdg_dir("XDG_CONFIG_HOME", ".config");
	cand[0] = kg_xasprintf("%s/kigo-tui/kigo-tui.conf", base);
	cand[1] = kg_xstrdup(system_path != NULL ? system_path : KG_CONFIG_SYSTEM_PATH);
	free(base);
	for (size_t i = 0; i < 2; i++) {
		if (access(cand[i], F_OK) == 0) {
			*path = cand[i];
			cand[i] = NULL;
			break;
		}
		if (errno != ENOENT && errno != ENOTDIR) {
			kg_set_cause(cause, "%s: cannot check the configuration file: %s", cand[i],
			             strerror(errno));
			err = KG_ERR_CONFIG;
			break;
		}
	}
	free(cand[0]);
	free(cand[1]);
	return err;
}

/* Read a whole (small) regular file. */
static enum kg_err
read_file(const char *path, char **text, size_t *len, char **cause)
{
	struct kg_buf b;
	struct stat st;
	char chunk[4096];
	enum kg_err err = KG_ERR_CONFIG;
	ssize_t n;
	int fd;

	kg_buf_init(&b, KG_CONFIG_MAX_BYTES);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		kg_set_cause(cause, "%s: cannot read the configuration file: %s", path,
		             strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		kg_set_cause(cause, "%s: not a regular file; name a configuration file", path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kg_set_cause(cause, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (kg_buf_append(&b, chunk, (size_t)n) != KG_ERR_OK) {
			kg_set_cause(cause, "%s: larger than %d bytes; is it the right file?", path,
			             KG_CONFIG_MAX_BYTES);
			goto out;
		}
	}
	*len = b.len;
	*text = kg_buf_steal(&b);
	err = KG_ERR_OK;
out:
	if (fd >= 0)
		close(fd);
	kg_buf_free(&b);
	return err;
}

enum kg_err
kg_config_load(struct kg_config *cfg, const char *explicit_path, char **cause)
{
	char *path = NULL, *text = NULL;
	size_t len = 0;
	enum kg_err err;

	memset(cfg, 0, sizeof(*cfg));
	err = kg_config_find(explicit_path, NULL, &path, cause);
	if (err != KG_ERR_OK)
		goto out;
	if (path == NULL) {
		kg_config_defaults(cfg);
		finish(cfg);
		goto out;
	}
	err = read_file(path, &text, &len, cause);
	if (err != KG_ERR_OK)
		goto out;
	err = kg_config_parse(cfg, path, text, len, cause);
	cfg->path = path;
	path = NULL;
out:
	free(path);
	free(text);
	return err;
}

/* ---- kigo-tui.conf.example ---- */

/* Append help wrapped at 76 columns as "# " lines. */
static void
put_wrapped(struct kg_buf *b, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		size_t n = strlen(p), cut = n;

		if (n > 74) {
			cut = 74;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = n;
		}
		kg_buf_printf(b, "# %.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

char *
kg_config_example(void)
{
	struct kg_buf b;
	const char *section = NULL;

	kg_buf_init(&b, 0);
	kg_buf_puts(&b,
	            "# kigo-tui.conf - configuration of kigo-tui(1), see kigo-tui.conf(5).\n"
	            "#\n"
	            "# Generated from the option table in src/config.c; do not edit by hand.\n"
	            "# Copy it to ~/.config/kigo-tui/kigo-tui.conf and set the URLs of your\n"
	            "# services.  Lines are 'key = value'; '#' or ';' starts a comment.\n");
	for (size_t i = 0; i < KG_ARRAY_LEN(options); i++) {
		const struct kg_option *o = &options[i];

		if (section == NULL || strcmp(section, o->section) != 0) {
			kg_buf_printf(&b, "\n[%s]\n", o->section);
			section = o->section;
		} else
			kg_buf_puts(&b, "\n");
		put_wrapped(&b, o->help);
		if (o->choices != NULL) {
			kg_buf_puts(&b, "# One of:");
			for (int c = 0; o->choices[c] != NULL; c++)
				kg_buf_printf(&b, " %s", o->choices[c]);
			kg_buf_puts(&b, ".\n");
		}
		if (o->default_value[0] != '\0')
			kg_buf_printf(&b, "# Default: %s\n", o->default_value);
		kg_buf_printf(&b, "%s =%s%s\n", o->key, o->example[0] != '\0' ? " " : "", o->example);
	}
	return kg_buf_steal(&b);
}
