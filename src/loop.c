/*
 * loop.c - the single-threaded poll(2) loop: fd watches, one-shot timers,
 * signals turned into flags through a self-pipe, and per-pass callbacks.
 *
 * Everything the program waits for goes through kg_loop_once(), so an idle
 * program sits in one poll() with no timeout and wakes up zero times.  It
 * must never sleep and never run a callback from a signal handler: handlers
 * only write the signal number to a non-blocking pipe.
 *
 * Timers live in a binary min-heap ordered by (due time, creation order) so
 * timers due at the same millisecond run in the order they were added.
 * Because a signal handler cannot be handed a context, the pipe's write end
 * is the one piece of file-scope state (one loop catches signals at a time).
 */
#include "kigo/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KG_NSIG 65

struct kg_watch {
	int fd;
	short events;
	kg_fd_fn fn;
	void *ud;
	uint64_t serial;   /* tells a re-added watch on the same fd from the old one */
};

struct kg_timer {
	int64_t due;       /* kg_now_ms() deadline */
	uint64_t seq;      /* creation order, breaks ties */
	uint64_t id;
	kg_timer_fn fn;
	void *ud;
};

struct kg_pass {
	kg_idle_fn fn;
	void *ud;
};

struct kg_loop {
	struct kg_watch *watches;
	size_t nwatch, capwatch;
	uint64_t watch_serial;

	struct kg_timer *heap;
	size_t ntimer, captimer;
	uint64_t timer_seq;

	struct kg_pass *passes;
	size_t npass;

	struct pollfd *pfds;        /* scratch for poll(), parallel to pserial */
	uint64_t *pserial;
	size_t cappfd;

	int sigpipe[2];             /* read end polled, write end for handlers */
	bool caught[KG_NSIG];
	bool pending[KG_NSIG];
	struct sigaction old_act[KG_NSIG];

	bool quit;
	struct kg_loop_stats stats;
};

/* Write end of the self-pipe of the loop that catches signals. */
static volatile sig_atomic_t sig_wfd = -1;

static void
sig_handler(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;
	int fd = sig_wfd;

	/* A full pipe already guarantees a wake-up; losing the byte is fine. */
	if (fd >= 0 && write(fd, &b, 1) < 0) {
		/* nothing to do */
	}
	errno = saved;
}

static int
set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

struct kg_loop *
kg_loop_new(void)
{
	struct kg_loop *loop = kg_xcalloc(1, sizeof(*loop));

	if (pipe(loop->sigpipe) < 0 || set_flags(loop->sigpipe[0]) < 0 ||
	    set_flags(loop->sigpipe[1]) < 0)
		kg_fatal("cannot create the signal pipe: %s", strerror(errno));
	return loop;
}

void
kg_loop_free(struct kg_loop **lp)
{
	struct kg_loop *loop = lp ? *lp : NULL;

	if (loop == NULL)
		return;
	for (int s = 1; s < KG_NSIG; s++) {
		if (loop->caught[s])
			sigaction(s, &loop->old_act[s], NULL);
	}
	if (sig_wfd == loop->sigpipe[1])
		sig_wfd = -1;
	close(loop->sigpipe[0]);
	close(loop->sigpipe[1]);
	free(loop->watches);
	free(loop->heap);
	free(loop->passes);
	free(loop->pfds);
	free(loop->pserial);
	free(loop);
	*lp = NULL;
}

/* ---- timers: binary min-heap ------------------------------------------ */

static bool
timer_before(const struct kg_timer *a, const struct kg_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heap_swap(struct kg_loop *loop, size_t i, size_t j)
{
	struct kg_timer t = loop->heap[i];

	loop->heap[i] = loop->heap[j];
	loop->heap[j] = t;
}

static void
heap_up(struct kg_loop *loop, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(&loop->heap[i], &loop->heap[parent]))
			break;
		heap_swap(loop, i, parent);
		i = parent;
	}
}

static void
heap_down(struct kg_loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->ntimer && timer_before(&loop->heap[l], &loop->heap[m]))
			m = l;
		if (r < loop->ntimer && timer_before(&loop->heap[r], &loop->heap[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(loop, i, m);
		i = m;
	}
}

static void
heap_remove(struct kg_loop *loop, size_t i)
{
	loop->ntimer--;
	if (i == loop->ntimer)
		return;
	loop->heap[i] = loop->heap[loop->ntimer];
	heap_down(loop, i);
	heap_up(loop, i);
}

uint64_t
kg_timer_add(struct kg_loop *loop, int64_t delay_ms, kg_timer_fn fn, void *ud)
{
	struct kg_timer *t;

	if (loop->ntimer == loop->captimer) {
		loop->captimer = loop->captimer ? loop->captimer * 2 : 16;
		loop->heap = kg_xrealloc(loop->heap, loop->captimer * sizeof(*loop->heap));
	}
	t = &loop->heap[loop->ntimer++];
	t->due = kg_now_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->seq = ++loop->timer_seq;
	t->id = t->seq;
	t->fn = fn;
	t->ud = ud;
	heap_up(loop, loop->ntimer - 1);
	return loop->timer_seq;
}

void
kg_timer_cancel(struct kg_loop *loop, uint64_t id)
{
	if (loop == NULL || id == 0)
		return;
	for (size_t i = 0; i < loop->ntimer; i++) {
		if (loop->heap[i].id == id) {
			heap_remove(loop, i);
			return;
		}
	}
}

int64_t
kg_timer_next_ms(struct kg_loop *loop)
{
	int64_t d;

	if (loop->ntimer == 0)
		return -1;
	d = loop->heap[0].due - kg_now_ms();
	return d > 0 ? d : 0;
}

void
kg_timer_run(struct kg_loop *loop)
{
	int64_t now = kg_now_ms();
	/* Timers added by the callbacks below wait for the next pass. */
	uint64_t last = loop->timer_seq;

	while (loop->ntimer > 0 && loop->heap[0].due <= now && loop->heap[0].seq <= last) {
		struct kg_timer t = loop->heap[0];

		heap_remove(loop, 0);
		loop->stats.timers_run++;
		t.fn(loop, t.ud);
	}
}

/* ---- fd watches -------------------------------------------------------- */

static struct kg_watch *
find_watch(struct kg_loop *loop, int fd)
{
	for (size_t i = 0; i < loop->nwatch; i++) {
		if (loop->watches[i].fd == fd)
			return &loop->watches[i];
	}
	return NULL;
}

void
kg_loop_watch(struct kg_loop *loop, int fd, short events, kg_fd_fn fn, void *ud)
{
	struct kg_watch *w = find_watch(loop, fd);

	if (w == NULL) {
		if (loop->nwatch == loop->capwatch) {
			loop->capwatch = loop->capwatch ? loop->capwatch * 2 : 8;
			loop->watches = kg_xrealloc(loop->watches,
			                            loop->capwatch * sizeof(*loop->watches));
		}
		w = &loop->watches[loop->nwatch++];
		w->fd = fd;
		w->serial = ++loop->watch_serial;
	}
	w->events = events;
	w->fn = fn;
	w->ud = ud;
}

void
kg_loop_unwatch(struct kg_loop *loop, int fd)
{
	struct kg_watch *w = find_watch(loop, fd);

	if (w == NULL)
		return;
	*w = loop->watches[--loop->nwatch];
}

/* ---- signals ----------------------------------------------------------- */

void
kg_loop_catch(struct kg_loop *loop, int signo)
{
	struct sigaction sa;

	if (signo <= 0 || signo >= KG_NSIG)
		return;
	sig_wfd = loop->sigpipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(signo, &sa, loop->caught[signo] ? NULL : &loop->old_act[signo]) == 0)
		loop->caught[signo] = true;
}

bool
kg_sig_take(struct kg_loop *loop, int signo)
{
	bool was;

	if (signo <= 0 || signo >= KG_NSIG)
		return false;
	was = loop->pending[signo];
	loop->pending[signo] = false;
	return was;
}

static void
sig_drain(struct kg_loop *loop)
{
	unsigned char buf[64];
	ssize_t n;

	while ((n = read(loop->sigpipe[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] > 0 && buf[i] < KG_NSIG)
				loop->pending[buf[i]] = true;
		}
	}
}

/* ---- passes ------------------------------------------------------------ */

void
kg_loop_on_pass(struct kg_loop *loop, kg_idle_fn fn, void *ud)
{
	loop->passes = kg_xrealloc(loop->passes, (loop->npass + 1) * sizeof(*loop->passes));
	loop->passes[loop->npass].fn = fn;
	loop->passes[loop->npass].ud = ud;
	loop->npass++;
}

void
kg_loop_off_pass(struct kg_loop *loop, kg_idle_fn fn, void *ud)
{
	for (size_t i = 0; i < loop->npass; i++) {
		if (loop->passes[i].fn == fn && loop->passes[i].ud == ud) {
			memmove(&loop->passes[i], &loop->passes[i + 1],
			        (loop->npass - i - 1) * sizeof(*loop->passes));
			loop->npass--;
			return;
		}
	}
}

static int
poll_timeout(struct kg_loop *loop, int64_t timeout_ms)
{
	int64_t t = kg_timer_next_ms(loop);

	if (timeout_ms >= 0 && (t < 0 || timeout_ms < t))
		t = timeout_ms;
	if (t > INT32_MAX)
		t = INT32_MAX;
	return (int)t;
}

void
kg_loop_once(struct kg_loop *loop, int64_t timeout_ms)
{
	size_t n = loop->nwatch + 1;
	int rc;

	loop->stats.passes++;
	if (n > loop->cappfd) {
		loop->cappfd = n * 2;
		loop->pfds = kg_xrealloc(loop->pfds, loop->cappfd * sizeof(*loop->pfds));
		loop->pserial = kg_xrealloc(loop->pserial, loop->cappfd * sizeof(*loop->pserial));
	}
	loop->pfds[0] = (struct pollfd){ .fd = loop->sigpipe[0], .events = POLLIN };
	loop->pserial[0] = 0;
	for (size_t i = 0; i < loop->nwatch; i++) {
		loop->pfds[i + 1] = (struct pollfd){ .fd = loop->watches[i].fd,
		                                     .events = loop->watches[i].events };
		loop->pserial[i + 1] = loop->watches[i].serial;
	}

	rc = poll(loop->pfds, (nfds_t)n, poll_timeout(loop, timeout_ms));
	loop->stats.wakeups++;
	/* A signal interrupts poll() even with SA_RESTART; collect what it left. */
	if (rc < 0 && errno == EINTR)
		rc = poll(loop->pfds, (nfds_t)n, 0);
	if (rc < 0 && errno != EINTR)
		kg_fatal("poll failed: %s", strerror(errno));

	if (rc > 0) {
		if (loop->pfds[0].revents)
			sig_drain(loop);
		for (size_t i = 1; i < n; i++) {
			struct kg_watch *w;

			if (loop->pfds[i].revents == 0)
				continue;
			/* Earlier callbacks may have removed or replaced this watch. */
			w = find_watch(loop, loop->pfds[i].fd);
			if (w == NULL || w->serial != loop->pserial[i])
				continue;
			w->fn(loop, w->fd, loop->pfds[i].revents, w->ud);
		}
	}
	kg_timer_run(loop);
	/* Index-based: a callback may add or remove pass callbacks. */
	for (size_t i = 0; i < loop->npass; i++)
		loop->passes[i].fn(loop, loop->passes[i].ud);
}

void
kg_loop_run(struct kg_loop *loop, bool (*done)(void *ud), void *ud)
{
	while (!loop->quit && !(done && done(ud)))
		kg_loop_once(loop, -1);
}

void
kg_loop_quit(struct kg_loop *loop)
{
	loop->quit = true;
}

bool
kg_loop_quitting(const struct kg_loop *loop)
{
	return loop->quit;
}

void
kg_loop_get_stats(const struct kg_loop *loop, struct kg_loop_stats *st)
{
	*st = loop->stats;
}
