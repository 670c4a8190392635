// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Whole-host runs: the processes that exist before the programs attach get their unwind
 * views then, not at their first sample. A long sleeper blocks once or twice a run and a
 * busy service is sampled at once: either's first stack would otherwise come before its
 * tables. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/session_priv.h"
#include "proc/proctab.h"
#include "unwind/unwinder.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/vec.h"

/* How long the start may wait for tables being built (an empty cache on a host with a few
 * hundred objects takes about a second of building); what is not ready by then is
 * published when it is, as for a process that starts during the run. */
#define HOSTSCAN_WAIT_SECS 10.0

/* Whether pid runs a program of its own: kernel threads have no executable. */
static bool has_program(int pid)
{
	char path[32], target[8];

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	return readlink(path, target, sizeof(target)) > 0;
}

int hostscan__pids(int **pids, size_t *n, size_t *cap)
{
	DIR *d = opendir("/proc");
	int self = getpid(), err = 0;
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT32_MAX || pid == self || !has_program((int)pid))
			continue;
		if (VEC_PUSH(*pids, *n, *cap, (int)pid)) {
			err = -ENOMEM;
			break;
		}
	}
	closedir(d);
	return err;
}

/* Publishes the view of every user process but this one; returns how many. */
static size_t publish_all(struct session *s)
{
	int *pids = NULL;
	size_t n_pids = 0, cap = 0, n = 0;
	int err = hostscan__pids(&pids, &n_pids, &cap);

	if (err) {
		log_debug("reading /proc: %s: views are published at each process's first sample",
			  strerror(-err));
		n_pids = 0;
	}
	for (size_t i = 0; i < n_pids; i++)
		if (!unwinder__sync(s->uw, pids[i], proctab__get(s->env.pt, pids[i])))
			n++;
	free(pids);
	return n;
}

void hostscan__run(struct session *s)
{
	double t0 = clock__secs(CLOCK_MONOTONIC), deadline = t0 + HOSTSCAN_WAIT_SECS;
	size_t n = publish_all(s);
	double t1 = clock__secs(CLOCK_MONOTONIC);

	while (unwinder__pending(s->uw) && clock__secs(CLOCK_MONOTONIC) < deadline) {
		unwinder__poll(s->uw);
		usleep(2000);
	}
	unwinder__poll(s->uw);
	log_debug("unwind views of %zu processes published before attaching: %.0f ms reading "
		  "their maps, %.0f ms more for tables built meanwhile%s", n, (t1 - t0) * 1e3,
		  (clock__secs(CLOCK_MONOTONIC) - t1) * 1e3,
		  unwinder__pending(s->uw) ? " (some still building)" : "");
}
