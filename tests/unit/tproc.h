/*
 * tests/unit/tproc.h -- child processes of the unit tests: the servers
 * they start on loopback (fake APIs, HTTPS, SMTP, webhook receivers)
 * and the tools they run, started, read and stopped by PID.
 *
 * Header-only (static inline): every test program is built from one
 * source file.
 */
#ifndef CENTINELA_TESTS_TPROC_H
#define CENTINELA_TESTS_TPROC_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline void
tproc_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Monotonic milliseconds. */
static inline int64_t
tproc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Where a child's stderr goes: the pipe, a file (appended), or ours. */
struct tproc_opts {
	bool stderr_pipe; /* stderr into the same pipe as stdout */
	const char *stderr_file; /* else into this file, when set */
	const char *fallback; /* execv() this path when argv[0] is not found */
};

/*
 * fork + exec argv with stdout into a pipe (*outfd, close-on-exec); the
 * child dies with us (PR_SET_PDEATHSIG). The PID, or -1.
 */
static inline pid_t
tproc_spawn(char *const argv[], int *outfd, const struct tproc_opts *o)
{
	int p[2], e;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(p[1], 1);
		if (o && o->stderr_pipe)
			dup2(p[1], 2);
		else if (o && o->stderr_file &&
		    (e = open(o->stderr_file, O_WRONLY | O_CREAT | O_APPEND,
			 0600)) >= 0)
			dup2(e, 2);
		execvp(argv[0], argv);
		if (o && o->fallback)
			execv(o->fallback, argv);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	*outfd = p[0];
	return pid;
}

/*
 * Wait for "pid" at most timeout_ms (after a SIGTERM when "term"), then
 * SIGKILL it. Its exit status, 128 for a signal, -1 when it had to be
 * killed (or pid <= 0).
 */
static inline int
tproc_reap(pid_t pid, unsigned timeout_ms, bool term)
{
	int64_t end = tproc_now_ms() + timeout_ms;
	int st = 0;

	if (pid <= 0)
		return -1;
	if (term)
		kill(pid, SIGTERM);
	while (tproc_now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		tproc_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* Read fd until EOF or timeout_ms into buf (NUL-terminated); the length. */
static inline size_t
tproc_read_all(int fd, char *buf, size_t cap, unsigned timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t end = tproc_now_ms() + timeout_ms;
	size_t len = 0;
	ssize_t r;

	while (len + 1 < cap && tproc_now_ms() < end) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		r = read(fd, buf + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return len;
}

/* The first line of fd (a port number) within timeout_ms; -1 if none. */
static inline long
tproc_read_port(int fd, unsigned timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t end = tproc_now_ms() + timeout_ms;
	char buf[32];
	size_t len = 0;

	while (len + 1 < sizeof(buf) && tproc_now_ms() < end) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if (read(fd, buf + len, 1) != 1)
			break;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return len ? strtol(buf, NULL, 10) : -1;
}

#endif /* CENTINELA_TESTS_TPROC_H */
