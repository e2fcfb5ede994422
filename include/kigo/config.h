/*
 * config.h - configuration from one option table (tmux's options-table.c).
 *
 * The same table drives the INI parser, the defaults, `kigo-tui.conf.example`
 * and `man/kigo-tui.conf.5` (a test checks that both name every option).
 * Lookup order: -c FILE, $KIGO_TUI_CONFIG, $XDG_CONFIG_HOME/kigo-tui/kigo-tui.conf
 * (~/.config/...), /etc/kigo-tui.conf.  No file at all is fine (defaults);
 * a file named by -c or $KIGO_TUI_CONFIG must exist.
 *
 * After loading, every string option with an empty value is NULL, URLs are
 * https, normalized and have no trailing slash, paths are absolute, and
 * state_dir is always set.
 */
#ifndef KIGO_CONFIG_H
#define KIGO_CONFIG_H

#include "kigo/common.h"

enum kg_sn_auth { KG_SN_AUTH_OKTA, KG_SN_AUTH_BASIC };
enum kg_secrets { KG_SECRETS_AUTO, KG_SECRETS_KEYRING, KG_SECRETS_FILE, KG_SECRETS_MEMORY };
enum kg_color { KG_COLOR_AUTO, KG_COLOR_ALWAYS, KG_COLOR_NEVER };

struct kg_config {
	char *path;               /* the file read, NULL when none */

	char *sn_instance_url;    /* [servicenow] instance_url */
	char *sn_table;           /* table (incident) */
	char *sn_journal_field;   /* work_notes | comments */
	enum kg_sn_auth sn_auth;  /* okta | basic */
	char *sn_username;        /* basic only */

	char *okta_issuer;        /* [okta] issuer */
	char *okta_client_id;
	char *okta_scopes;        /* "openid profile offline_access" */

	char *kigo_api_url;       /* [kigo] api_url */

	char *tls_ca_bundle;      /* [tls] ca_bundle, NULL = system store */

	char *state_dir;          /* [storage] state_dir, resolved to an absolute path */
	enum kg_secrets secrets;

	enum kg_color color;      /* [ui] color, NO_COLOR forces never */
};

enum kg_opt_type {
	KG_OPT_STRING,  /* printable text, char * */
	KG_OPT_URL,     /* https URL (curl_url()), char * */
	KG_OPT_ENUM,    /* one of choices, stored as the enum (int) */
	KG_OPT_PATH,    /* absolute or ~/ path, char * */
	KG_OPT_NAME,    /* identifier [A-Za-z0-9_], one of choices when given, char * */
};

struct kg_option {
	const char *section;
	const char *key;
	enum kg_opt_type type;
	const char *default_value;   /* as written in the file; "" = empty */
	const char *const *choices;  /* ENUM only, NULL-terminated */
	const char *example;         /* value shown in kigo-tui.conf.example */
	const char *help;            /* one sentence, used by the example and the man page */
	size_t offset;               /* into struct kg_config */
};

/* The table, and its length. */
const struct kg_option *kg_config_options(size_t *n);

/*
 * Find and load the configuration.  explicit_path is -c FILE (NULL if not
 * given).  On error returns KG_ERR_CONFIG with *cause naming file, line and
 * key.  cfg must be freed with kg_config_clear even on error.
 */
enum kg_err kg_config_load(struct kg_config *cfg, const char *explicit_path, char **cause);
/*
 * Parse text as if read from `name` (no file I/O; used by load, tests and
 * fuzzing).  cfg is overwritten: pass a zeroed or cleared one.
 */
enum kg_err kg_config_parse(struct kg_config *cfg, const char *name, const char *text,
                            size_t len, char **cause);
/* Fill defaults only (no file); cfg is overwritten. */
void kg_config_defaults(struct kg_config *cfg);
void kg_config_clear(struct kg_config *cfg);

/* The text of kigo-tui.conf.example, from the table.  Caller frees. */
char *kg_config_example(void);

/*
 * Which file kg_config_load would read: *path is set (caller frees) or left
 * NULL when no file exists.  system_path replaces /etc/kigo-tui.conf
 * (NULL = the real one).  Exposed for tests and `doctor`.
 */
enum kg_err kg_config_find(const char *explicit_path, const char *system_path, char **path,
                           char **cause);
/* The system-wide file name: "/etc/kigo-tui.conf". */
#define KG_CONFIG_SYSTEM_PATH "/etc/kigo-tui.conf"
/* A file longer than this is refused. */
#define KG_CONFIG_MAX_BYTES (64 * 1024)

/* Value of an ENUM option as its name ("okta", "auto"...). */
const char *kg_config_enum_name(const char *section, const char *key, int value);

#endif
