/*
 * fakesrv.c - run a Python HTTPS fake for a Criterion test (see fakesrv.h).
 * Test support only: blocking waits and sleeps are fine here, never in src/.
 */
#include "support/fakesrv.h"

#include "kigo/common.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
kg_fake_root(void)
{
	const char *r = getenv("KG_TEST_ROOT");

	return r && *r ? r : ".";
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
run_wait(const char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool
kg_fake_pki(char *dir, size_t dirlen)
{
	char script[512];

	if (snprintf(dir, dirlen, "/tmp/kg-test-XXXXXX") >= (int)dirlen || mkdtemp(dir) == NULL) {
		fprintf(stderr, "fakesrv: mkdtemp: %s\n", strerror(errno));
		return false;
	}
	snprintf(script, sizeof(script), "%s/tests/fakes/testca.sh", kg_fake_root());
	const char *argv[] = { "/bin/sh", script, dir, NULL };
	if (run_wait(argv) != 0) {
		fprintf(stderr, "fakesrv: %s %s failed\n", script, dir);
		return false;
	}
	return true;
}

char *
kg_fake_slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

bool
kg_fake_start(struct kg_fake *f, const char *script, const char *cert,
              const char *const *extra_args)
{
	char path[512], certf[400], keyf[400], portf[400];
	const char *argv[32];
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	f->pid = -1;
	if (!kg_fake_pki(f->dir, sizeof(f->dir)))
		return false;
	snprintf(f->ca, sizeof(f->ca), "%s/ca.pem", f->dir);
	snprintf(f->otherca, sizeof(f->otherca), "%s/otherca.pem", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/server.log", f->dir);
	snprintf(path, sizeof(path), "%s/tests/fakes/%s", kg_fake_root(), script);
	snprintf(certf, sizeof(certf), "%s/%s.pem", f->dir, cert ? cert : "server");
	snprintf(keyf, sizeof(keyf), "%s/%s.key", f->dir, cert ? cert : "server");
	snprintf(portf, sizeof(portf), "%s/port", f->dir);

	argv[n++] = "/usr/bin/python3";
	argv[n++] = path;
	argv[n++] = "--cert";
	argv[n++] = certf;
	argv[n++] = "--key";
	argv[n++] = keyf;
	argv[n++] = "--port-file";
	argv[n++] = portf;
	for (size_t i = 0; extra_args && extra_args[i] && n < KG_ARRAY_LEN(argv) - 1; i++)
		argv[n++] = extra_args[i];
	argv[n] = NULL;

	pid_t parent = getpid();
	f->pid = fork();
	if (f->pid < 0)
		return false;
	if (f->pid == 0) {
		int fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {   /* up to 10 s on a loaded machine */
		char *s = kg_fake_slurp(portf);
		int st;

		if (s != NULL) {
			f->port = (int)strtol(s, NULL, 10);
			free(s);
			snprintf(f->base, sizeof(f->base), "https://127.0.0.1:%d", f->port);
			return f->port > 0;
		}
		if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
			char *log = kg_fake_slurp(f->log);

			fprintf(stderr, "fakesrv: %s exited early:\n%s\n", script, log ? log : "");
			free(log);
			f->pid = -1;
			return false;
		}
		nap_ms(10);
	}
	fprintf(stderr, "fakesrv: %s did not report its port\n", script);
	return false;
}

void
kg_fake_stop(struct kg_fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		for (int i = 0; i < 300; i++) {
			if (waitpid(f->pid, NULL, WNOHANG) == f->pid)
				break;
			if (i == 299) {
				kill(f->pid, SIGKILL);
				waitpid(f->pid, NULL, 0);
			}
			nap_ms(10);
		}
		f->pid = -1;
	}
	if (f->dir[0])
		nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	f->dir[0] = '\0';
}

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	char **out = ud;
	size_t old = *out ? strlen(*out) : 0, add = size * nmemb;
	char *p = realloc(*out, old + add + 1);

	if (p == NULL)
		return 0;
	memcpy(p + old, ptr, add);
	p[old + add] = '\0';
	*out = p;
	return add;
}

long
kg_fake_call(const struct kg_fake *f, const char *method, const char *path,
             const char *json, char **out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[512];
	char *body = NULL;
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", f->base, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, f->ca);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (json)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (out)
		*out = body ? body : strdup("");
	else
		free(body);
	return status;
}

bool
kg_fake_fault(const struct kg_fake *f, const char *json_rule)
{
	return kg_fake_call(f, "POST", "/__control/faults", json_rule, NULL) == 201;
}
