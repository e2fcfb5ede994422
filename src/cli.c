/*
 * cli.c - the command line: subcommands and options, the help text.
 *
 * A pure function of argv: it must never read a file, the environment or
 * the network, so every usage error is reported (exit 64) before the
 * configuration is even looked for.  Options may come before or after the
 * subcommand; "--" ends the options.
 */
#include "kigo/cli.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "kigo/buf.h"

/* Subcommands, in the order of enum kg_cli_cmd after KG_CLI_TUI. */
static const char *const cmd_names[] = {
	[KG_CLI_TUI] = "tui",       [KG_CLI_LOGIN] = "login",   [KG_CLI_LOGOUT] = "logout",
	[KG_CLI_STATUS] = "status", [KG_CLI_SYNC] = "sync",     [KG_CLI_DOCTOR] = "doctor",
	[KG_CLI_STATS] = "stats",   [KG_CLI_HELP] = "help",     [KG_CLI_VERSION] = "version",
};

const char *
kg_cli_cmd_name(enum kg_cli_cmd cmd)
{
	return (unsigned)cmd < KG_ARRAY_LEN(cmd_names) ? cmd_names[cmd] : "?";
}

char *
kg_cli_quote(const char *s, size_t max)
{
	struct kg_buf b;
	size_t i;

	kg_buf_init(&b, 0);
	if (s == NULL)
		s = "";
	for (i = 0; i < max && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			kg_buf_puts(&b, "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			kg_buf_printf(&b, "\\x%02X", c);
		else
			kg_buf_append(&b, &s[i], 1);
	}
	if (s[i] != '\0')
		kg_buf_puts(&b, "...");
	return kg_buf_steal(&b);
}

/* Options each command takes besides the global -c, -v, --help. */
enum {
	OPT_OFFLINE = 1 << 0,
	OPT_NO_QR = 1 << 1,
	OPT_JSON = 1 << 2,
	OPT_SINCE = 1 << 3,
};

static unsigned
cmd_allows(enum kg_cli_cmd cmd)
{
	switch (cmd) {
	case KG_CLI_TUI:
		return OPT_OFFLINE;
	case KG_CLI_LOGIN:
		return OPT_NO_QR;
	case KG_CLI_STATUS:
		return OPT_JSON;
	case KG_CLI_STATS:
		return OPT_JSON | OPT_SINCE;
	default:
		return 0;
	}
}

static const char *
opt_name(unsigned opt)
{
	switch (opt) {
	case OPT_OFFLINE:
		return "--offline";
	case OPT_NO_QR:
		return "--no-qr";
	case OPT_JSON:
		return "--json";
	default:
		return "--since";
	}
}

/* YYYY-MM-DD naming a real day. */
static bool
valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
			return false;
	if (s[10] != '\0')
		return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

static enum kg_cli_cmd
lookup_cmd(const char *s)
{
	for (size_t i = KG_CLI_LOGIN; i <= KG_CLI_STATS; i++)
		if (strcmp(cmd_names[i], s) == 0)
			return (enum kg_cli_cmd)i;
	return KG_CLI_TUI;
}

/*
 * The value of an option that takes one: "--opt=V", "-cV" or the next
 * argument.  inline_val is what followed '=' or the letter, or NULL.
 */
static const char *
take_value(int argc, char **argv, int *i, const char *inline_val, const char *name,
           char **cause)
{
	const char *v = inline_val;

	if (v == NULL) {
		if (*i + 1 >= argc) {
			kg_set_cause(cause, "option '%s' needs a value", name);
			return NULL;
		}
		v = argv[++*i];
	}
	if (v[0] == '\0') {
		kg_set_cause(cause, "option '%s' needs a non-empty value", name);
		return NULL;
	}
	return v;
}

enum kg_err
kg_cli_parse(int argc, char **argv, struct kg_cli *out, char **cause)
{
	const char *positional[3] = { NULL, NULL, NULL };
	unsigned used = 0; /* command options seen, checked once the command is known */
	bool help = false, version = false, dashdash = false;
	size_t npos = 0;
	char *q = NULL;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			/* Count them all; only the first three are kept. */
			if (npos < KG_ARRAY_LEN(positional))
				positional[npos] = a;
			npos++;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
		} else if (a[1] != '-') {
			/* Bundled short options: -vv, -vc FILE, -cFILE. */
			for (const char *p = a + 1; *p != '\0'; p++) {
				if (*p == 'v') {
					out->verbose++;
				} else if (*p == 'h') {
					help = true;
				} else if (*p == 'c') {
					out->config_path = take_value(argc, argv, &i,
					                              p[1] != '\0' ? p + 1 : NULL, "-c",
					                              cause);
					if (out->config_path == NULL)
						return KG_ERR_USAGE;
					break;
				} else {
					char opt[2] = { *p, '\0' };

					q = kg_cli_quote(opt, 4);
					kg_set_cause(cause, "unknown option '-%s'", q);
					free(q);
					return KG_ERR_USAGE;
				}
			}
		} else {
			const char *eq = strchr(a, '=');
			size_t n = eq != NULL ? (size_t)(eq - a) : strlen(a);
			const char *val = eq != NULL ? eq + 1 : NULL;
			unsigned flag = 0;

#define IS(name) (n == strlen(name) && strncmp(a, name, n) == 0)
			if (IS("--config")) {
				out->config_path = take_value(argc, argv, &i, val, "--config", cause);
				if (out->config_path == NULL)
					return KG_ERR_USAGE;
			} else if (IS("--since")) {
				out->since = take_value(argc, argv, &i, val, "--since", cause);
				if (out->since == NULL)
					return KG_ERR_USAGE;
				if (!valid_date(out->since)) {
					q = kg_cli_quote(out->since, 40);
					kg_set_cause(cause, "option '--since' needs a date YYYY-MM-DD, "
					             "not \"%s\"", q);
					free(q);
					return KG_ERR_USAGE;
				}
				used |= OPT_SINCE;
			} else if (IS("--help") || IS("--version") || IS("--offline") ||
			           IS("--no-qr") || IS("--json") || IS("--verbose")) {
				if (val != NULL) {
					q = kg_cli_quote(a, 40);
					kg_set_cause(cause, "option '%.*s' takes no value (got \"%s\")",
					             (int)n, a, q);
					free(q);
					return KG_ERR_USAGE;
				}
				if (IS("--help"))
					help = true;
				else if (IS("--version"))
					version = true;
				else if (IS("--verbose"))
					out->verbose++;
				else if (IS("--offline"))
					flag = OPT_OFFLINE;
				else if (IS("--no-qr"))
					flag = OPT_NO_QR;
				else
					flag = OPT_JSON;
			} else {
				q = kg_cli_quote(a, 40);
				kg_set_cause(cause, "unknown option '%s'", q);
				free(q);
				return KG_ERR_USAGE;
			}
#undef IS
			used |= flag;
			out->offline |= flag == OPT_OFFLINE;
			out->no_qr |= flag == OPT_NO_QR;
			out->json |= flag == OPT_JSON;
		}
	}
	if (help || version) {
		out->cmd = help ? KG_CLI_HELP : KG_CLI_VERSION;
		return KG_ERR_OK;
	}
	if (npos == 0) {
		kg_set_cause(cause, "missing TICKET (a ServiceNow number such as INC0012345) "
		             "or command");
		return KG_ERR_USAGE;
	}
	out->cmd = lookup_cmd(positional[0]);
	if (out->cmd == KG_CLI_TUI)
		out->ticket = positional[0];
	if (npos > 1) {
		q = kg_cli_quote(positional[1], 40);
		if (out->cmd == KG_CLI_TUI)
			kg_set_cause(cause, "unexpected argument \"%s\" after TICKET", q);
		else
			kg_set_cause(cause, "unexpected argument \"%s\" after '%s'", q,
			             kg_cli_cmd_name(out->cmd));
		free(q);
		return KG_ERR_USAGE;
	}
	for (unsigned bit = 1; bit <= OPT_SINCE; bit <<= 1)
		if ((used & bit) && !(cmd_allows(out->cmd) & bit)) {
			if (out->cmd == KG_CLI_TUI)
				kg_set_cause(cause, "option '%s' needs a command that takes it",
				             opt_name(bit));
			else
				kg_set_cause(cause, "option '%s' does not apply to '%s'", opt_name(bit),
				             kg_cli_cmd_name(out->cmd));
			return KG_ERR_USAGE;
		}
	return KG_ERR_OK;
}

void
kg_cli_help(FILE *fp)
{
	fputs("Usage: kigo-tui [-c FILE] [--offline] [-v] TICKET\n"
	      "       kigo-tui [-c FILE] [-v] COMMAND [OPTIONS]\n"
	      "       kigo-tui --help | --version\n"
	      "\n"
	      "Manage a customer's Kigo loyalty tokens from a ServiceNow ticket.\n"
	      "\n"
	      "TICKET is a ServiceNow number (INC0012345), a 32-hex-digit sys_id, or a\n"
	      "launch URL https://HOST/launch?ticket=INC0012345 with optional\n"
	      "&customer=cus_..., &email=..., &phone=..., &loyalty_id=...\n"
	      "\n"
	      "Commands:\n"
	      "  login [--no-qr]           log in with Okta (device code); --no-qr: no QR code\n"
	      "  logout                    forget the tokens (keyring and memory)\n"
	      "  status [--json]           who is logged in, token expiry, cache and outbox\n"
	      "  sync                      send pending ServiceNow summaries now\n"
	      "  doctor                    check configuration, TLS, Okta, ServiceNow,\n"
	      "                            the token API and the keyring\n"
	      "  stats [--since DATE] [--json]\n"
	      "                            usage figures since DATE (YYYY-MM-DD)\n"
	      "\n"
	      "Options (before or after the command):\n"
	      "  -c, --config FILE         read FILE instead of the usual configuration\n"
	      "      --offline             use the local cache only; changes are refused\n"
	      "  -v, --verbose             log more (repeat for debug: -vv)\n"
	      "  -h, --help                show this help and exit\n"
	      "      --version             show the version and exit\n"
	      "\n"
	      "Configuration: -c FILE, $KIGO_TUI_CONFIG, "
	      "$XDG_CONFIG_HOME/kigo-tui/kigo-tui.conf,\n"
	      "/etc/kigo-tui.conf (the first found); see kigo-tui.conf(5).\n"
	      "\n"
	      "Exit status: 0 success, 64 usage, 65 bad TICKET or input, 69 service\n"
	      "unavailable, 75 temporary failure, 77 not logged in or denied,\n"
	      "78 configuration error.  See kigo-tui(1).\n",
	      fp);
}

void
kg_cli_version(FILE *fp)
{
	curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	fprintf(fp, "kigo-tui %s\n", KG_VERSION);
	if (v != NULL)
		fprintf(fp, "libcurl %s (%s)\n", v->version, v->ssl_version ? v->ssl_version : "no TLS");
}
