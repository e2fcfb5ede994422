/*
 * loop.h - the one single-threaded event loop (STYLE.md point 6).
 *
 * It waits in poll(2) on the tty, a self-pipe that signal handlers write to,
 * the sockets libcurl asks for (through kg_http) and the nearest timer.
 * Callbacks run from kg_loop_once() only, never from a signal handler.
 * Nothing in the product sleeps: waits are timers.
 */
#ifndef KIGO_LOOP_H
#define KIGO_LOOP_H

#include "kigo/common.h"

struct kg_loop;

typedef void (*kg_timer_fn)(struct kg_loop *loop, void *ud);
/* revents are poll(2) bits (POLLIN, POLLOUT, POLLERR, POLLHUP). */
typedef void (*kg_fd_fn)(struct kg_loop *loop, int fd, short revents, void *ud);
/* Called once per kg_loop_once() pass after fds and timers ran. */
typedef void (*kg_idle_fn)(struct kg_loop *loop, void *ud);

struct kg_loop *kg_loop_new(void);
void kg_loop_free(struct kg_loop **loop);

/* One-shot timer after delay_ms; returns an id (never 0) for cancelling. */
uint64_t kg_timer_add(struct kg_loop *loop, int64_t delay_ms, kg_timer_fn fn, void *ud);
/* Cancelling an id that already fired or is 0 is harmless. */
void kg_timer_cancel(struct kg_loop *loop, uint64_t id);
/* Milliseconds until the nearest timer, -1 when there is none. */
int64_t kg_timer_next_ms(struct kg_loop *loop);
/* Run the timers that are due. */
void kg_timer_run(struct kg_loop *loop);

/* Watch an fd for events (POLLIN/POLLOUT); a second call updates it. */
void kg_loop_watch(struct kg_loop *loop, int fd, short events, kg_fd_fn fn, void *ud);
void kg_loop_unwatch(struct kg_loop *loop, int fd);

/*
 * Signals become flags: the handler writes the signal number to a self-pipe;
 * kg_loop_once() drains it.  kg_sig_take() returns true once per delivery
 * batch and clears the flag.
 */
void kg_loop_catch(struct kg_loop *loop, int signo);
bool kg_sig_take(struct kg_loop *loop, int signo);

/* Function run after every pass (the UI's redraw, kg_http_perform, ...). */
void kg_loop_on_pass(struct kg_loop *loop, kg_idle_fn fn, void *ud);
/* Remove a pass callback registered with the same fn and ud (harmless if absent). */
void kg_loop_off_pass(struct kg_loop *loop, kg_idle_fn fn, void *ud);

/*
 * One pass: wait at most timeout_ms (or until the nearest timer; -1 means no
 * limit), then dispatch ready fds, due timers and the pass callbacks.
 */
void kg_loop_once(struct kg_loop *loop, int64_t timeout_ms);

/* Run passes until kg_loop_quit() is called or done(ud) returns true. */
void kg_loop_run(struct kg_loop *loop, bool (*done)(void *ud), void *ud);
void kg_loop_quit(struct kg_loop *loop);
bool kg_loop_quitting(const struct kg_loop *loop);

/* Counters for tests and the idle benchmark. */
struct kg_loop_stats {
	uint64_t passes;     /* kg_loop_once calls */
	uint64_t wakeups;    /* poll returns */
	uint64_t timers_run;
};
void kg_loop_get_stats(const struct kg_loop *loop, struct kg_loop_stats *st);

#endif
