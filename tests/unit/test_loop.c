/*
 * test_loop.c - the poll loop: timer order and cancel, fd readiness,
 * signals as flags, pass callbacks, and that an idle loop does not wake.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kigo/loop.h"

struct rec {
	int order[16];
	int n;
};

static void
note(struct rec *r, int v)
{
	if (r->n < 16)
		r->order[r->n++] = v;
}

struct tctx {
	struct rec *rec;
	int val;
};

static void
on_timer(struct kg_loop *loop, void *ud)
{
	struct tctx *t = ud;

	(void)loop;
	note(t->rec, t->val);
}

/*
 * A broken loop blocks in poll() forever: SIGALRM kills the test instead of
 * hanging the run (Criterion's own .timeout leaks in its runner under ASan).
 */
static void
arm_alarm(void)
{
	alarm(20);
}

TestSuite(loop, .init = arm_alarm);

Test(loop, empty_loop_has_no_timer)
{
	struct kg_loop *loop = kg_loop_new();

	cr_assert_eq(kg_timer_next_ms(loop), -1);
	kg_timer_cancel(loop, 0);
	kg_timer_cancel(loop, 12345);
	kg_timer_run(loop);
	kg_loop_free(&loop);
	cr_assert_null(loop);
	kg_loop_free(&loop);
}

Test(loop, timers_fire_in_deadline_then_creation_order)
{
	struct kg_loop *loop = kg_loop_new();
	struct rec r = { 0 };
	struct tctx t[5];
	int64_t delays[5] = { 30, 10, 20, 10, 0 };
	uint64_t ids[5];

	for (int i = 0; i < 5; i++) {
		t[i] = (struct tctx){ &r, i };
		ids[i] = kg_timer_add(loop, delays[i], on_timer, &t[i]);
		cr_assert_neq(ids[i], 0);
	}
	cr_assert_leq(kg_timer_next_ms(loop), 0);
	int64_t start = kg_now_ms();
	while (r.n < 5 && kg_now_ms() - start < 2000)
		kg_loop_once(loop, -1);
	cr_assert_eq(r.n, 5);
	int want[5] = { 4, 1, 3, 2, 0 };
	for (int i = 0; i < 5; i++)
		cr_assert_eq(r.order[i], want[i], "position %d: %d", i, r.order[i]);
	cr_assert_geq(kg_now_ms() - start, 29);
	struct kg_loop_stats st;
	kg_loop_get_stats(loop, &st);
	cr_assert_eq(st.timers_run, 5);
	cr_assert_eq(kg_timer_next_ms(loop), -1);
	kg_loop_free(&loop);
}

Test(loop, cancel_removes_only_that_timer)
{
	struct kg_loop *loop = kg_loop_new();
	struct rec r = { 0 };
	struct tctx t[3] = { { &r, 0 }, { &r, 1 }, { &r, 2 } };
	uint64_t a = kg_timer_add(loop, 5, on_timer, &t[0]);
	uint64_t b = kg_timer_add(loop, 1, on_timer, &t[1]);
	kg_timer_add(loop, 3, on_timer, &t[2]);

	kg_timer_cancel(loop, b);
	kg_timer_cancel(loop, b); /* twice is harmless */
	int64_t start = kg_now_ms();
	while (r.n < 2 && kg_now_ms() - start < 1000)
		kg_loop_once(loop, -1);
	cr_assert_eq(r.n, 2);
	cr_assert_eq(r.order[0], 2);
	cr_assert_eq(r.order[1], 0);
	kg_timer_cancel(loop, a); /* already fired */
	kg_loop_free(&loop);
}

static void
rearm(struct kg_loop *loop, void *ud)
{
	int *count = ud;

	if (++*count < 3)
		kg_timer_add(loop, 0, rearm, ud);
}

Test(loop, zero_delay_timer_added_by_a_timer_waits_for_next_pass)
{
	struct kg_loop *loop = kg_loop_new();
	int count = 0;

	kg_timer_add(loop, 0, rearm, &count);
	kg_loop_once(loop, 0);
	cr_assert_eq(count, 1);
	kg_loop_once(loop, 0);
	cr_assert_eq(count, 2);
	kg_loop_free(&loop);
}

struct fdctx {
	int calls;
	short revents;
	char got[16];
};

static void
on_fd(struct kg_loop *loop, int fd, short revents, void *ud)
{
	struct fdctx *c = ud;
	ssize_t n;

	(void)loop;
	c->calls++;
	c->revents = revents;
	n = read(fd, c->got, sizeof(c->got) - 1);
	if (n >= 0)
		c->got[n] = '\0';
}

Test(loop, fd_readiness_and_unwatch)
{
	struct kg_loop *loop = kg_loop_new();
	struct fdctx c = { 0 };
	int p[2];

	cr_assert_eq(pipe(p), 0);
	kg_loop_watch(loop, p[0], POLLIN, on_fd, &c);
	kg_loop_once(loop, 0);
	cr_assert_eq(c.calls, 0);
	cr_assert_eq(write(p[1], "hi", 2), 2);
	kg_loop_once(loop, 1000);
	cr_assert_eq(c.calls, 1);
	cr_assert(c.revents & POLLIN);
	cr_assert_str_eq(c.got, "hi");

	kg_loop_unwatch(loop, p[0]);
	kg_loop_unwatch(loop, p[0]);
	cr_assert_eq(write(p[1], "x", 1), 1);
	kg_loop_once(loop, 0);
	cr_assert_eq(c.calls, 1);
	close(p[0]);
	close(p[1]);
	kg_loop_free(&loop);
}

struct unwctx {
	int other_fd;
	int calls;
};

static void
on_fd_unwatch_other(struct kg_loop *loop, int fd, short revents, void *ud)
{
	struct unwctx *c = ud;
	char b[8];

	(void)revents;
	c->calls++;
	if (read(fd, b, sizeof(b)) < 0)
		return;
	kg_loop_unwatch(loop, c->other_fd);
}

Test(loop, callback_removing_another_ready_watch)
{
	struct kg_loop *loop = kg_loop_new();
	int p1[2], p2[2];
	struct unwctx c1 = { 0 }, c2 = { 0 };

	cr_assert_eq(pipe(p1), 0);
	cr_assert_eq(pipe(p2), 0);
	c1.other_fd = p2[0];
	c2.other_fd = p1[0];
	kg_loop_watch(loop, p1[0], POLLIN, on_fd_unwatch_other, &c1);
	kg_loop_watch(loop, p2[0], POLLIN, on_fd_unwatch_other, &c2);
	cr_assert_eq(write(p1[1], "a", 1), 1);
	cr_assert_eq(write(p2[1], "b", 1), 1);
	kg_loop_once(loop, 1000);
	/* whichever ran first removed the other: exactly one callback */
	cr_assert_eq(c1.calls + c2.calls, 1);
	for (int i = 0; i < 2; i++) {
		close(p1[i]);
		close(p2[i]);
	}
	kg_loop_free(&loop);
}

Test(loop, signal_becomes_a_flag)
{
	struct kg_loop *loop = kg_loop_new();

	kg_loop_catch(loop, SIGUSR1);
	cr_assert_not(kg_sig_take(loop, SIGUSR1));
	cr_assert_eq(raise(SIGUSR1), 0);
	cr_assert_eq(raise(SIGUSR1), 0);
	/* must return at once even with no timeout: the self-pipe is readable */
	kg_loop_once(loop, -1);
	cr_assert(kg_sig_take(loop, SIGUSR1));
	cr_assert_not(kg_sig_take(loop, SIGUSR1));
	cr_assert_not(kg_sig_take(loop, SIGUSR2));
	cr_assert_not(kg_sig_take(loop, 0));
	cr_assert_not(kg_sig_take(loop, 1000));
	kg_loop_free(&loop);
	/* the old disposition is back: ignoring it now must not kill us */
	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
}

static void
on_pass(struct kg_loop *loop, void *ud)
{
	int *n = ud;

	if (++*n == 3)
		kg_loop_quit(loop);
}

static void
tick(struct kg_loop *loop, void *ud)
{
	/* one timer per pass, however slow the machine, until the quit */
	if (!kg_loop_quitting(loop))
		kg_timer_add(loop, 1, tick, ud);
}

Test(loop, pass_callbacks_and_quit)
{
	struct kg_loop *loop = kg_loop_new();
	int n = 0;

	kg_loop_on_pass(loop, on_pass, &n);
	kg_timer_add(loop, 0, tick, NULL);
	cr_assert_not(kg_loop_quitting(loop));
	kg_loop_run(loop, NULL, NULL);
	cr_assert(kg_loop_quitting(loop));
	cr_assert_eq(n, 3);
	kg_loop_free(&loop);
}

Test(loop, off_pass_removes_callback)
{
	struct kg_loop *loop = kg_loop_new();
	int a = 0, b = 0;

	kg_loop_on_pass(loop, on_pass, &a);
	kg_loop_on_pass(loop, on_pass, &b);
	kg_loop_once(loop, 0);
	kg_loop_off_pass(loop, on_pass, &a);
	kg_loop_off_pass(loop, on_pass, &a);
	kg_loop_once(loop, 0);
	cr_assert_eq(a, 1);
	cr_assert_eq(b, 2);
	kg_loop_free(&loop);
}

static bool
done_after_timer(void *ud)
{
	return ((struct rec *)ud)->n > 0;
}

Test(loop, run_until_done)
{
	struct kg_loop *loop = kg_loop_new();
	struct rec r = { 0 };
	struct tctx t = { &r, 1 };

	kg_timer_add(loop, 5, on_timer, &t);
	kg_loop_run(loop, done_after_timer, &r);
	cr_assert_eq(r.n, 1);
	kg_loop_free(&loop);
}

static void
quit_timer(struct kg_loop *loop, void *ud)
{
	(void)ud;
	kg_loop_quit(loop);
}

Test(loop, idle_loop_does_not_wake)
{
	struct kg_loop *loop = kg_loop_new();
	struct kg_loop_stats st;

	/* one 150 ms timer: exactly one poll() return, no spinning meanwhile */
	kg_timer_add(loop, 150, quit_timer, NULL);
	kg_loop_run(loop, NULL, NULL);
	kg_loop_get_stats(loop, &st);
	cr_assert_eq(st.wakeups, 1, "wakeups %llu", (unsigned long long)st.wakeups);
	cr_assert_eq(st.passes, 1);
	kg_loop_free(&loop);
}

Test(loop, idle_loop_without_timers_blocks_until_signal)
{
	struct kg_loop *loop = kg_loop_new();
	struct kg_loop_stats st;
	pid_t me = getpid();
	pid_t kid;

	kg_loop_catch(loop, SIGUSR2);
	kid = fork();
	cr_assert_geq(kid, 0);
	if (kid == 0) {
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
		kill(me, SIGUSR2);
		_exit(0);
	}
	int64_t start = kg_now_ms();
	kg_loop_once(loop, -1);
	kg_loop_get_stats(loop, &st);
	cr_assert_geq(kg_now_ms() - start, 150);
	cr_assert_eq(st.wakeups, 1);
	cr_assert(kg_sig_take(loop, SIGUSR2));
	waitpid(kid, NULL, 0);
	kg_loop_free(&loop);
}
