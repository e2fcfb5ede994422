/*
 * fakesrv.h - start a Python HTTPS fake (tests/fakes/NAME.py, built on
 * fakelib.py) from a Criterion test, with a PKI made at test time by
 * tests/fakes/testca.sh.
 *
 *   struct kg_fake f;
 *   cr_assert(kg_fake_start(&f, "echo_server.py", "server", NULL));
 *   ... f.base is "https://127.0.0.1:PORT", f.ca the CA file to trust ...
 *   kg_fake_stop(&f);
 *
 * The server is killed when the test process dies (PR_SET_PDEATHSIG), so a
 * crashed test leaves nothing behind.  Test code only: it may block.
 */
#ifndef KG_TEST_FAKESRV_H
#define KG_TEST_FAKESRV_H

#include <stdbool.h>
#include <sys/types.h>

struct kg_fake {
	pid_t pid;
	int port;
	char dir[256];        /* temp dir: PKI files, port file; removed by stop */
	char ca[320];         /* dir/ca.pem */
	char otherca[320];    /* dir/otherca.pem (an unrelated CA) */
	char base[64];        /* https://127.0.0.1:PORT */
	char log[320];        /* dir/server.log: the fake's stdout and stderr */
};

/* Repository root: $KG_TEST_ROOT or ".". */
const char *kg_fake_root(void);
/* Make a temp dir with the test PKI in it (dir receives the path). */
bool kg_fake_pki(char *dir, size_t dirlen);
/*
 * Start tests/fakes/SCRIPT serving the certificate CERT ("server",
 * "expired", "wronghost", "otherca-server") with extra arguments (NULL-
 * terminated list or NULL); waits until it accepts.  False on failure
 * (message on stderr).
 */
bool kg_fake_start(struct kg_fake *f, const char *script, const char *cert,
                   const char *const *extra_args);
/* SIGTERM, wait, remove the temp dir.  Safe on a fake that never started. */
void kg_fake_stop(struct kg_fake *f);
/*
 * Blocking call to the fake's control endpoint (or any path) with libcurl:
 * returns the HTTP status (0 on transport failure); *out (may be NULL)
 * receives the body, caller frees.
 */
long kg_fake_call(const struct kg_fake *f, const char *method, const char *path,
                  const char *json, char **out);
/* POST /__control/faults with a JSON rule; true on 201. */
bool kg_fake_fault(const struct kg_fake *f, const char *json_rule);
/* Read a whole file; caller frees; NULL when missing. */
char *kg_fake_slurp(const char *path);

#endif
