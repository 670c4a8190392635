/* Helpers shared by the object and procmaps tests: the obj_pie/obj_nopie fixture run as a
 * child whose lifetime the test controls, and lookups in a procmaps (fixture paths and
 * binutils in fixture_util.h). */
#ifndef MAPS_UTIL_H
#define MAPS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture_util.h"
#include "proc/procmaps.h"

/* The first executable mapping of pm whose path contains needle, or NULL. */
static inline const struct procmaps_entry *maps_find_exec(const struct procmaps *pm,
							  const char *needle)
{
	const struct procmaps_entry *e;
	size_t i;

	for (i = 0; i < procmaps__count(pm); i++) {
		e = procmaps__entry(pm, i);
		if ((e->prot & PM_X) && strstr(e->path, needle))
			return e;
	}
	return NULL;
}

struct maps_child {
	pid_t pid;
	int in_fd;		/* closing it ends the child */
	uint64_t marker;	/* run-time address of obj_fixture_marker */
};

/* Starts a fixture and waits for it to print its marker address. Returns 0 or -errno. */
static inline int maps_child_start(struct maps_child *c, const char *path)
{
	int in[2], out[2];
	char buf[64] = "";
	ssize_t n;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in_fd = in[1];
	n = read(out[0], buf, sizeof(buf) - 1);
	close(out[0]);
	if (n <= 0 || sscanf(buf, "%" SCNx64, &c->marker) != 1) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		return -ECHILD;
	}
	return 0;
}

/* Ends the child and reaps it: its pid and /proc entries are gone afterwards. */
static inline void maps_child_stop(struct maps_child *c)
{
	if (c->pid <= 0)
		return;
	close(c->in_fd);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

/* A forked copy of us that sleeps until killed (same mappings as ours). */
static inline pid_t maps_fork_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static inline void maps_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

#endif
