// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Cgroup labels: /proc/PID/cgroup read and parsed (cgroup.c), each distinct path made into
 * one label for the whole run. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/cglabels.h"
#include "util/hashmap.h"
#include "util/log.h"
#include "util/readfile.h"

/* Distinct cgroup paths kept for labels, for the whole run: a host that churns through
 * containers must not grow memory without bound. Processes in further ones go unlabelled. */
#define CGROUP_PATHS_MAX 4096
/* /proc/PID/cgroup: a line per hierarchy (a dozen on a hybrid host), paths ≤ PATH_MAX. */
#define CGROUP_FILE_MAX (128u << 10)

struct cglabels {
	struct hashmap paths;	/* of struct cgroup_label *, by path */
	bool full;		/* CGROUP_PATHS_MAX was reached (said once) */
};

struct cglabels *cglabels__new(void)
{
	struct cglabels *cl = calloc(1, sizeof(*cl));

	if (cl)
		cl->paths = (struct hashmap)HASHMAP_INIT(struct cgroup_label *);
	return cl;
}

void cglabels__free(struct cglabels *cl)
{
	struct cgroup_label **l;
	size_t it = 0;

	if (!cl)
		return;
	while ((l = hashmap__next(&cl->paths, &it)))
		free(*l);
	hashmap__free(&cl->paths);
	free(cl);
}

static bool label_eq(const void *ctx, const void *key, const void *entry)
{
	(void)ctx;
	return !strcmp((*(struct cgroup_label *const *)entry)->path, key);
}

/* The label of path (len bytes), made on its first use. NULL on ENOMEM or once
 * CGROUP_PATHS_MAX paths are known. */
static const struct cgroup_label *intern(struct cglabels *cl, const char *path, size_t len)
{
	uint64_t h = hash__bytes(path, len);
	struct cgroup_label **ent, *l;
	char id[CGROUP_ID_LEN + 1];
	char *text;
	bool has_id, added;

	ent = hashmap__find(&cl->paths, h, path, label_eq, NULL);
	if (ent)
		return *ent;
	if (hashmap__count(&cl->paths) >= CGROUP_PATHS_MAX) {
		if (!cl->full)
			log_warn("more than %d distinct cgroups: samples of processes in "
				 "further ones have no cgroup label", CGROUP_PATHS_MAX);
		cl->full = true;
		return NULL;
	}
	has_id = cgroup__container_id(path, id);
	/* One block: the label, then its path, then its id. */
	l = malloc(sizeof(*l) + len + 1 + (has_id ? sizeof(id) : 0));
	if (!l)
		return NULL;
	text = (char *)(l + 1);
	memcpy(text, path, len + 1);
	*l = (struct cgroup_label){ .path = text };
	if (has_id)
		l->container_id = memcpy(text + len + 1, id, sizeof(id));
	ent = hashmap__insert(&cl->paths, h, path, label_eq, NULL, &added);
	if (!ent) {
		free(l);
		return NULL;
	}
	*ent = l;
	return l;
}

const struct cgroup_label *cglabels__read(struct cglabels *cl, int pid)
{
	char path[CGROUP_PATH_MAX + 1], file[32], *text = NULL;
	const struct cgroup_label *l = NULL;
	size_t len = 0;
	int n;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", pid);
	n = readfile__all(file, 512, CGROUP_FILE_MAX, &text, &len);
	if (!n)
		n = cgroup__parse(text, len, path);
	if (n >= 0)
		l = intern(cl, path, (size_t)n);
	else if (n != -ENOENT)
		log_debug("pid %d: no cgroup label from %s: %s", pid, file, strerror(-n));
	free(text);
	return l;
}
