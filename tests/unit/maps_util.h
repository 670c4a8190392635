/* Helpers shared by the object and procmaps tests: expected values from binutils, and the
 * obj_pie/obj_nopie fixture run as a child whose lifetime the test controls. */
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

/* Absolute: the kernel shows absolute paths in the maps, and tests compare with them. */
static inline const char *maps_fixture(const char *name)
{
	static char path[4][PATH_MAX + 64];
	static int next;
	const char *out = getenv("OUT");
	char dir[PATH_MAX], *p = path[next++ % 4];

	if (!realpath(out && *out ? out : "build", dir))
		snprintf(dir, sizeof(dir), "%s", out && *out ? out : "build");
	snprintf(p, sizeof(path[0]), "%s/fixtures/%s", dir, name);
	return p;
}

/* The build id `readelf -n` prints for path, "" if none or readelf is missing. */
static inline void maps_readelf_build_id(const char *path, char out[41])
{
	char cmd[1024], line[512], *p;
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "Build ID: ");
		if (p && !out[0] && sscanf(p + 10, "%40[0-9a-f]", out) != 1)
			out[0] = '\0';
	}
	pclose(f);
}

/* The value of symbol name in path per `nm`; 0 if not found. */
static inline uint64_t maps_nm_symbol(const char *path, const char *name)
{
	char cmd[1024], line[512], sym[256], type;
	unsigned long long v;
	uint64_t found = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &v, &type, sym) == 3 && !strcmp(sym, name))
			found = v;
	pclose(f);
	return found;
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
