/*
 * core/loop.c -- epoll event loop with a timer heap.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"

struct fd_slot {
	loop_fd_h *fn;
	void *arg;
	unsigned events;
	bool used;
};

struct loop {
	int epfd;
	uint64_t now;
	volatile sig_atomic_t stop;
	struct fd_slot *fds;
	int nfds; /* capacity of fds[] */
	struct loop_timer **heap;
	unsigned nheap;
	unsigned capheap;
	loop_hook_h *before_sleep;
	void *before_sleep_arg;
	unsigned linger_us; /* loop_linger(): pause before the next wait */
};

uint64_t
loop_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
loop_alloc(struct loop **lp)
{
	struct loop *l;

	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = errno;

		free(l);
		return err;
	}
	l->now = loop_clock_ms();
	*lp = l;
	return 0;
}

void
loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->fds);
	free(l->heap);
	free(l);
}

uint64_t
loop_now(const struct loop *l)
{
	return l->now;
}

static uint32_t
to_epoll(unsigned ev)
{
	return ((ev & LOOP_READ) ? EPOLLIN : 0) |
	    ((ev & LOOP_WRITE) ? EPOLLOUT : 0);
}

int
loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_h *fn, void *arg)
{
	struct epoll_event ev;

	if (fd < 0 || !fn)
		return EINVAL;
	if (fd >= l->nfds) {
		int n = l->nfds ? l->nfds : 64;
		struct fd_slot *p;

		while (n <= fd)
			n *= 2;
		p = realloc(l->fds, (size_t)n * sizeof(*p));
		if (!p)
			return ENOMEM;
		memset(p + l->nfds, 0, (size_t)(n - l->nfds) * sizeof(*p));
		l->fds = p;
		l->nfds = n;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.fd = fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return errno;
	l->fds[fd].fn = fn;
	l->fds[fd].arg = arg;
	l->fds[fd].events = events;
	l->fds[fd].used = true;
	return 0;
}

int
loop_fd_mod(struct loop *l, int fd, unsigned events)
{
	struct epoll_event ev;

	if (fd < 0 || fd >= l->nfds || !l->fds[fd].used)
		return EINVAL;
	if (l->fds[fd].events == events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.fd = fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return errno;
	l->fds[fd].events = events;
	return 0;
}

void
loop_fd_del(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nfds || !l->fds[fd].used)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->fds[fd], 0, sizeof(l->fds[fd]));
}

/* Heap of timers ordered by tm_when; tm_idx is slot + 1. */
static void
heap_set(struct loop *l, unsigned i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->tm_idx = i + 1;
}

static void
heap_up(struct loop *l, unsigned i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		unsigned p = (i - 1) / 2;

		if (l->heap[p]->tm_when <= t->tm_when)
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void
heap_down(struct loop *l, unsigned i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap &&
		    l->heap[c + 1]->tm_when < l->heap[c]->tm_when)
			c++;
		if (t->tm_when <= l->heap[c]->tm_when)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void
heap_remove(struct loop *l, struct loop_timer *t)
{
	unsigned i = t->tm_idx - 1;
	struct loop_timer *last;

	t->tm_idx = 0;
	last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->tm_idx - 1);
}

int
loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t ms,
    loop_timer_h *fn, void *arg)
{
	if (t->tm_idx)
		heap_remove(l, t);
	if (l->nheap == l->capheap) {
		unsigned n = l->capheap ? l->capheap * 2 : 256;
		struct loop_timer **h;

		h = realloc(l->heap, n * sizeof(*h));
		if (!h)
			return ENOMEM;
		l->heap = h;
		l->capheap = n;
	}
	t->tm_when = l->now + ms;
	t->tm_fn = fn;
	t->tm_arg = arg;
	l->heap[l->nheap] = t;
	t->tm_idx = ++l->nheap;
	heap_up(l, l->nheap - 1);
	return 0;
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t->tm_idx)
		heap_remove(l, t);
}

void
loop_set_before_sleep(struct loop *l, loop_hook_h *fn, void *arg)
{
	l->before_sleep = fn;
	l->before_sleep_arg = arg;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

/* Run due timers; bounded so a flood of timers cannot starve I/O. */
static void
run_timers(struct loop *l)
{
	unsigned budget = 4096;

	while (l->nheap && l->heap[0]->tm_when <= l->now && budget--) {
		struct loop_timer *t = l->heap[0];

		heap_remove(l, t);
		t->tm_fn(t->tm_arg);
	}
}

void
loop_linger(struct loop *l, unsigned usec)
{
	if (usec > 1000000)
		usec = 1000000;
	if (usec > l->linger_us)
		l->linger_us = usec;
}

int
loop_run(struct loop *l)
{
	struct epoll_event evs[128];

	while (!l->stop) {
		int n, i, timeout = -1;

		l->now = loop_clock_ms();
		run_timers(l);
		if (l->before_sleep)
			l->before_sleep(l->before_sleep_arg);
		if (l->stop)
			break;
		if (l->nheap) {
			uint64_t w = l->heap[0]->tm_when;

			timeout = w <= l->now ?
			    0 :
			    (int)(w - l->now > 60000 ? 60000 : w - l->now);
		}
		if (l->linger_us && timeout != 0) {
			uint64_t us = l->linger_us;
			struct timespec ts;

			if (timeout > 0 && (uint64_t)timeout * 1000 < us)
				us = (uint64_t)timeout * 1000;
			ts.tv_sec = (time_t)(us / 1000000);
			ts.tv_nsec = (long)(us % 1000000) * 1000;
			l->linger_us = 0;
			nanosleep(&ts, NULL);
			/* Round again: the clock, due timers, a stop asked for
			 * meanwhile, and a wait shortened by the pause. */
			continue;
		}
		n = epoll_wait(l->epfd, evs, 128, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		l->now = loop_clock_ms();
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			unsigned ev = 0;
			struct fd_slot *s;

			if (fd < 0 || fd >= l->nfds || !l->fds[fd].used)
				continue;
			s = &l->fds[fd];
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				ev |= LOOP_READ;
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				ev |= LOOP_WRITE;
			ev &= s->events ? s->events | LOOP_READ : LOOP_READ;
			s->fn(fd, ev, s->arg);
		}
	}
	return 0;
}
