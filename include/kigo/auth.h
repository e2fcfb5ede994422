/*
 * auth.h - Okta (OpenID Connect) login with the device authorization grant
 * (RFC 8628), token refresh with rotation, logout with revocation, and
 * authenticated HTTP for the ServiceNow and Kigo clients.
 *
 * Everything runs on the loop: discovery, the device request, polling on a
 * timer (never a sleep), refresh shortly before expiry and once on a 401.
 * Tokens are loaded from the secret store (secret.h) by kg_auth_new and
 * written back after a login or a refresh; the store is reached at start-up
 * and on those events only, never from the redraw path.  With
 * kg_auth_new_async (the full-screen client) a keyring is only ever reached
 * from the store's worker thread: loading, saving and clearing never block
 * the loop, and requests wait until the saved login has been read.  No token, device
 * code or refresh token ever reaches a log, an error message or the screen;
 * each one is registered with kg_log_secret and wiped when freed.
 */
#ifndef KIGO_AUTH_H
#define KIGO_AUTH_H

#include "kigo/common.h"
#include "kigo/http.h"

struct kg_auth;
struct kg_config;
struct kg_loop;

/* What the user needs to finish the login in a browser elsewhere. */
struct kg_device_info {
	const char *verification_uri;          /* sanitized, https */
	const char *verification_uri_complete; /* sanitized, for the QR code; may be NULL */
	const char *user_code;                 /* sanitized, shown by design */
	int64_t expires_in;                    /* seconds the code is valid */
	int64_t expires_at_ms;                 /* the same as a kg_now_ms() deadline */
	int interval;                          /* current polling interval, seconds */
};

/* The code to show; called once per login, from the loop. */
typedef void (*kg_auth_code_fn)(const struct kg_device_info *info, void *ud);
/*
 * End of a login, a logout or a refresh: KG_ERR_OK, or DENIED, EXPIRED,
 * CANCELLED, NETWORK/DNS/CONNECT/TLS/TIMEOUT (IdP unreachable), PROTOCOL,
 * UNAUTHORIZED ...  message is a sanitized sentence (what, why, what to do),
 * never NULL, valid during the call only.
 */
typedef void (*kg_auth_done_fn)(enum kg_err err, const char *message, void *ud);
/* Login state changed (logged in, refreshed, refresh failed, logged out). */
typedef void (*kg_auth_change_fn)(struct kg_auth *auth, void *ud);

/*
 * Create the login state for cfg's [okta] issuer and client_id, opening the
 * secret store of cfg's [storage] secrets and loading saved tokens from it.
 * loop and http are borrowed and must outlive the handle.  Fails with
 * KG_ERR_CONFIG (issuer or client_id missing), KG_ERR_PERMS (secrets = file
 * with an unsafe file or folder) or KG_ERR_KEYRING (secrets = keyring and no
 * keyring answers); *cause says why and what to do.  With secrets = auto an
 * unavailable keyring is not an error: see kg_auth_notice.
 */
enum kg_err kg_auth_new(struct kg_loop *loop, struct kg_http *http, const struct kg_config *cfg,
                        struct kg_auth **out, char **cause);
/*
 * The same, but a keyring (secrets = keyring or auto) is read on a worker
 * thread: this returns at once with kg_auth_loading() true, and loaded is
 * called once from the loop when the saved login has been read (logged in
 * or not: see kg_auth_logged_in), or with KG_ERR_KEYRING and a sentence
 * saying why it could not be read and what to do.  Until then
 * kg_auth_http_send holds requests, and afterwards sends them, or fails
 * them with that sentence.  Saves and clears go to the worker too.
 * Without a keyring (file, memory) it behaves like kg_auth_new and loaded
 * is never called.  loaded may be NULL.
 */
enum kg_err kg_auth_new_async(struct kg_loop *loop, struct kg_http *http,
                              const struct kg_config *cfg, kg_auth_done_fn loaded, void *ud,
                              struct kg_auth **out, char **cause);
/* True while the saved login is being read (kg_auth_new_async). */
bool kg_auth_loading(const struct kg_auth *auth);
/* Secret store jobs (load, save, clear) not finished yet. */
size_t kg_auth_store_pending(const struct kg_auth *auth);

/*
 * Cancels the login, refreshes and requests in flight without calling back.
 * With kg_auth_new_async it waits at most about 2 s for a save to reach
 * the keyring, then leaves a hung keyring call behind.
 */
void kg_auth_free(struct kg_auth **auth);

/* True with an unexpired access token or a refresh token to get one. */
bool kg_auth_logged_in(const struct kg_auth *auth);
/* Display name from the id_token (name, else email); NULL when logged out. */
const char *kg_auth_user_name(const struct kg_auth *auth);
/* Email from the id_token; NULL when unknown. */
const char *kg_auth_user_email(const struct kg_auth *auth);
/* Access token expiry, epoch seconds; 0 when there is none. */
int64_t kg_auth_expires_at(const struct kg_auth *auth);
/* Where the tokens live: "keyring", "file" or "memory". */
const char *kg_auth_secrets_kind(const struct kg_auth *auth);
/*
 * One-time notice (tokens kept in memory only, and why, and how to keep
 * them; or a failed save), NULL when none.  Valid until the next call into
 * the handle.
 */
const char *kg_auth_notice(const struct kg_auth *auth);
/* Same notice, handed over and cleared so it is shown once.  Caller frees. */
char *kg_auth_take_notice(struct kg_auth *auth);

/* Called (from the loop) whenever the login state changes. */
void kg_auth_on_change(struct kg_auth *auth, kg_auth_change_fn fn, void *ud);

/*
 * Start a device login (discovery first when needed).  on_code is called
 * when the code is known, on_done once at the end; neither is called from
 * inside this function.  A login already running is cancelled first
 * (without calling its on_done).
 */
void kg_auth_login_start(struct kg_auth *auth, kg_auth_code_fn on_code, kg_auth_done_fn on_done,
                         void *ud);
/* Stop polling; on_done is not called.  Harmless when no login runs. */
void kg_auth_login_cancel(struct kg_auth *auth);
bool kg_auth_login_running(const struct kg_auth *auth);

/*
 * Log out: revoke the refresh and access tokens at the IdP when it offers
 * revocation, then forget them locally (secret store and memory) whatever
 * the IdP said.  done gets KG_ERR_OK, or the revocation failure (tokens are
 * forgotten locally all the same).  done may be NULL.
 */
void kg_auth_logout(struct kg_auth *auth, kg_auth_done_fn done, void *ud);

/* Refresh now (tests, `doctor`); concurrent refreshes are coalesced. */
void kg_auth_refresh(struct kg_auth *auth, kg_auth_done_fn done, void *ud);

/*
 * Send req with "Authorization: Bearer ACCESS" (req->bearer is ignored).
 * When the access token is missing or about to expire it is refreshed
 * first.  On a 401 it refreshes ONCE (concurrent refreshes are shared) and
 * sends the request again.  When the refresh fails the request completes
 * with err KG_ERR_UNAUTHORIZED, status 401 and resp->error a sentence asking
 * to log in again.  done is always called from the loop, never from inside
 * this function.  Returns an id for kg_auth_http_cancel (never 0).
 */
uint64_t kg_auth_http_send(struct kg_auth *auth, const struct kg_http_req *req,
                           kg_http_done_fn done, void *ud);
/* Drop a request sent with kg_auth_http_send: done will not be called. */
void kg_auth_http_cancel(struct kg_auth *auth, uint64_t id);

/* Counters for tests. */
struct kg_auth_stats {
	unsigned refreshes;      /* refresh requests sent */
	unsigned polls;          /* device-code token polls sent */
	unsigned saves;          /* writes to the secret store */
};
void kg_auth_get_stats(const struct kg_auth *auth, struct kg_auth_stats *st);

#endif
