/*
 * core/loop.h -- one event loop per thread: epoll for file descriptors,
 * a binary heap for timers, and a before-sleep hook for batched work.
 *
 * A loop and everything registered on it belong to one thread. Other
 * threads hand work to it through their own queue + eventfd.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_LOOP_H
#define CENTINELA_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_READ 0x1
#define LOOP_WRITE 0x2

struct loop;

typedef void(loop_fd_h)(int fd, unsigned events, void *arg);
typedef void(loop_timer_h)(void *arg);
typedef void(loop_hook_h)(void *arg);

/*
 * A timer handle, embedded by its user. Zero-initialise it; it is
 * armed between timer_start() and its expiry or timer_cancel().
 */
struct loop_timer {
	uint64_t tm_when; /* monotonic ms */
	unsigned tm_idx; /* heap slot + 1; 0 = not armed */
	loop_timer_h *tm_fn;
	void *tm_arg;
};

/* Create a loop. Returns 0 or an errno code. */
int loop_alloc(struct loop **lp);
void loop_free(struct loop *l);
/* Current monotonic time in milliseconds (cached per iteration). */
uint64_t loop_now(const struct loop *l);
/* Monotonic time in ms read from the clock. */
uint64_t loop_clock_ms(void);

/* Watch fd for LOOP_READ and/or LOOP_WRITE. Returns 0 or errno. */
int loop_fd_add(
    struct loop *l, int fd, unsigned events, loop_fd_h *fn, void *arg);
int loop_fd_mod(struct loop *l, int fd, unsigned events);
void loop_fd_del(struct loop *l, int fd);

/* (Re)arm "t" to fire once after "ms". Returns 0 or ENOMEM. */
int loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t ms,
    loop_timer_h *fn, void *arg);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
static inline bool
loop_timer_armed(const struct loop_timer *t)
{
	return t->tm_idx != 0;
}

/* Run "fn" before each wait (flush batched output, ...). */
void loop_set_before_sleep(struct loop *l, loop_hook_h *fn, void *arg);
/* Run until loop_stop(). Returns 0 or errno of a fatal epoll error. */
/*
 * Before the next wait only: pause "usec" (at most until the next
 * timer), so that input gathers and the next reads take it in larger
 * batches -- fewer wake-ups under a high packet rate, like a network
 * card's interrupt coalescing. The largest request of a turn wins; at
 * most one second.
 */
void loop_linger(struct loop *l, unsigned usec);
int loop_run(struct loop *l);
/* Ask the loop to return; safe from a signal handler of its thread. */
void loop_stop(struct loop *l);

#endif /* CENTINELA_CORE_LOOP_H */
