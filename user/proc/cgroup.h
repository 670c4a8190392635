/* A process's cgroup v2 path, as /proc/PID/cgroup shows it, and the container id the path
 * names. Pure parsing of untrusted text (a delegated cgroup's name is chosen by whoever
 * owns it): bounded, no allocation. */
#ifndef CPROF_CGROUP_H
#define CPROF_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

/* The kernel prints no cgroup path longer than PATH_MAX. */
#define CGROUP_PATH_MAX 4096
#define CGROUP_ID_LEN 64

/* The labels of a process's samples: `cgroup`, and `container_id` where the path has one. */
struct cgroup_label {
	const char *path;		/* "/system.slice/nginx.service" */
	const char *container_id;	/* 64 lowercase hex digits, or NULL */
};

/* The cgroup v2 path of text (len bytes of /proc/PID/cgroup, not NUL-terminated): that of
 * its "0::" line, without the " (deleted)" the kernel appends once the cgroup is removed.
 * Writes it NUL-terminated to path and returns its length; or -ENOENT when there is no
 * "0::" line (a cgroup v1 host), -EINVAL when there are two (a v1 cgroup's name with a
 * newline can fake one: no answer is better than a wrong one) or the path does not start
 * with '/', holds control bytes or is not UTF-8 (pprof readers reject it), -ENAMETOOLONG
 * past CGROUP_PATH_MAX bytes. */
int cgroup__parse(const char *text, size_t len, char path[CGROUP_PATH_MAX + 1]);

/* The container id path names, from its deepest component that holds one (a cgroup made
 * inside a container sits below the container's): "docker-ID", "cri-containerd-ID",
 * "crio-ID" or "libpod-ID", with or without ".scope" (systemd and cgroupfs drivers), or a
 * component that is just ID ("/docker/ID", "/kubepods/besteffort/podUID/ID"). ID is 64
 * lowercase hex digits, as runtimes write it; shorter or longer runs are not ids. Writes
 * it NUL-terminated to id and returns true; false when there is none. */
bool cgroup__container_id(const char *path, char id[CGROUP_ID_LEN + 1]);

#endif
