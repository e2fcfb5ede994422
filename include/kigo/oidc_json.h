/*
 * oidc_json.h - pure parsers for what an OpenID provider sends (bytes in,
 * structs out, no I/O), and the small record auth.c keeps in the secret
 * store.
 *
 * Each parser rejects a body over its cap, a body that is not a JSON
 * object, a required member that is missing or of the wrong type, with a
 * sentence in *cause (caller frees) naming the member; unknown members are
 * ignored.  Strings that are secrets (tokens, device code) are registered
 * with kg_log_secret and wiped by the *_clear functions.
 */
#ifndef KIGO_OIDC_JSON_H
#define KIGO_OIDC_JSON_H

#include "kigo/common.h"

/* Caps. */
#define KG_OIDC_MAX_BODY (64 * 1024)   /* any IdP response */
#define KG_OIDC_MAX_STRING (16 * 1024) /* any one string member (JWTs included) */

/* ISSUER/.well-known/openid-configuration (endpoints are https). */
struct kg_oidc_discovery {
	char *issuer;                        /* required */
	char *device_authorization_endpoint; /* required for the device flow */
	char *token_endpoint;                /* required */
	char *revocation_endpoint;           /* NULL when not offered */
	char *userinfo_endpoint;             /* NULL when not offered */
};
enum kg_err kg_oidc_parse_discovery(const char *body, size_t len, struct kg_oidc_discovery *out,
                                    char **cause);
void kg_oidc_discovery_clear(struct kg_oidc_discovery *d);

/* Device authorization response (RFC 8628 section 3.2). */
struct kg_oidc_device {
	char *device_code;               /* secret */
	char *user_code;
	char *verification_uri;          /* also accepted as verification_url */
	char *verification_uri_complete; /* NULL when absent */
	int64_t expires_in;              /* seconds, > 0 */
	int64_t interval;                /* seconds; 0 when absent (use 5) */
};
enum kg_err kg_oidc_parse_device(const char *body, size_t len, struct kg_oidc_device *out,
                                 char **cause);
void kg_oidc_device_clear(struct kg_oidc_device *d);

/* Token response (RFC 6749 section 5.1). */
struct kg_oidc_token {
	char *access_token;  /* secret, required */
	char *token_type;    /* required, "Bearer" (any case) */
	char *refresh_token; /* secret, NULL when absent */
	char *id_token;      /* secret, NULL when absent */
	char *scope;         /* NULL when absent */
	int64_t expires_in;  /* seconds; -1 when absent */
};
enum kg_err kg_oidc_parse_token(const char *body, size_t len, struct kg_oidc_token *out,
                                char **cause);
void kg_oidc_token_clear(struct kg_oidc_token *t);

/* Error response (RFC 6749 section 5.2, RFC 8628 section 3.5). */
struct kg_oidc_error {
	char *error;             /* required: authorization_pending, slow_down, ... */
	char *error_description; /* NULL when absent */
	char *error_uri;         /* NULL when absent */
};
enum kg_err kg_oidc_parse_error(const char *body, size_t len, struct kg_oidc_error *out,
                                char **cause);
void kg_oidc_error_clear(struct kg_oidc_error *e);

/*
 * Display claims of an id_token (the JWT payload).  The signature is NOT
 * checked: these claims only label the screen, they are never used to
 * decide access (the token came straight from the token endpoint over
 * verified TLS).
 */
struct kg_oidc_claims {
	char *sub;                /* NULL when absent */
	char *name;
	char *email;
	char *preferred_username;
	int64_t exp;              /* 0 when absent */
};
enum kg_err kg_oidc_parse_id_token(const char *jwt, struct kg_oidc_claims *out, char **cause);
/* The same claims from a userinfo response (a JSON object). */
enum kg_err kg_oidc_parse_userinfo(const char *body, size_t len, struct kg_oidc_claims *out,
                                   char **cause);
void kg_oidc_claims_clear(struct kg_oidc_claims *c);

/* What auth.c keeps in the secret store. */
struct kg_oidc_stored {
	char *issuer;
	char *client_id;
	char *access_token;  /* secret, may be NULL */
	char *refresh_token; /* secret, may be NULL */
	int64_t expires_at;  /* epoch seconds of the access token, 0 = unknown */
	char *name;          /* display claims, may be NULL */
	char *email;
	char *sub;
};
enum kg_err kg_oidc_parse_stored(const char *text, size_t len, struct kg_oidc_stored *out,
                                 char **cause);
/* Serialize without leaving copies behind; caller frees with kg_secret_free. */
char *kg_oidc_format_stored(const struct kg_oidc_stored *st);
void kg_oidc_stored_clear(struct kg_oidc_stored *st);

struct kg_buf;
/*
 * Start a buffer that will hold a secret: allocated once with room for cap
 * bytes and capped there, so it never reallocates (a realloc would leave an
 * unwiped copy behind).  Free it with kg_buf_wipe.
 */
void kg_oidc_secret_buf(struct kg_buf *b, size_t cap);
/* Append name=value to an application/x-www-form-urlencoded body. */
enum kg_err kg_oidc_form_add(struct kg_buf *b, const char *name, const char *value);

#endif
