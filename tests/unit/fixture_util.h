/* Shared by the unit tests that read the fixture binaries of tests/unit/fixtures-*.mk:
 * where the fixtures are, and binutils (nm, readelf) as a source of truth independent of
 * ours. */
#ifndef FIXTURE_UTIL_H
#define FIXTURE_UTIL_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $OUT/fixtures/NAME (OUT defaults to build), absolute: the kernel shows absolute paths in
 * the maps, and tests compare with them. The last four results stay valid. */
static inline const char *fixture(const char *name)
{
	static char path[4][2 * PATH_MAX];
	static int next;
	const char *out = getenv("OUT");
	char dir[PATH_MAX], *p = path[next++ % 4];

	if (!realpath(out && *out ? out : "build", dir))
		snprintf(dir, sizeof(dir), "%s", out && *out ? out : "build");
	snprintf(p, sizeof(path[0]), "%s/fixtures/%s", dir, name);
	return p;
}

/* `TOOL ARGS 'PATH'` (stderr discarded) opened for reading; pclose it. NULL with errno set. */
static inline FILE *tool_open(const char *tool, const char *args, const char *path)
{
	char cmd[PATH_MAX + 256];

	snprintf(cmd, sizeof(cmd), "%s %s '%s' 2>/dev/null", tool, args, path);
	return popen(cmd, "r");
}

/* The build id `readelf -n` prints for path, "" if none or readelf is missing. */
static inline void readelf_build_id(const char *path, char out[41])
{
	char line[512], *p;
	FILE *f;

	out[0] = '\0';
	f = tool_open("readelf", "-n", path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "Build ID: ");
		if (p && !out[0] && sscanf(p + 10, "%40[0-9a-f]", out) != 1)
			out[0] = '\0';
	}
	pclose(f);
}

/* ---- nm ---- */

struct nm_sym {
	uint64_t addr, size;
	char type;
	char name[512];
};

struct nm_tab {
	struct nm_sym *v;
	size_t n;
};

/* Parses "ADDR [SIZE] TYPE NAME" lines (names may contain spaces with -C). */
static inline bool nm_line(char *line, struct nm_sym *s)
{
	char *p = line, *end;

	line[strcspn(line, "\n")] = '\0';
	if (*p == ' ')
		return false; /* undefined */
	s->addr = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return false;
	p = end + 1;
	s->size = 0;
	if (p[0] && p[1] != ' ') {
		s->size = strtoull(p, &end, 16);
		if (*end != ' ')
			return false;
		p = end + 1;
	}
	if (!p[0] || p[1] != ' ')
		return false;
	s->type = p[0];
	snprintf(s->name, sizeof(s->name), "%s", p + 2);
	return true;
}

/* The symbols `nm FLAGS PATH` prints, in t (free t->v). 0, or -ENOENT when nm failed or
 * printed none. */
static inline int nm_load(const char *flags, const char *path, struct nm_tab *t)
{
	char line[1024];
	size_t cap = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = tool_open("nm", flags, path);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (t->n == cap) {
			cap = cap ? cap * 2 : 256;
			t->v = realloc(t->v, cap * sizeof(*t->v));
			if (!t->v)
				abort();
		}
		if (nm_line(line, &t->v[t->n]))
			t->n++;
	}
	return pclose(f) == 0 && t->n ? 0 : -ENOENT;
}

static inline const struct nm_sym *nm_find(const struct nm_tab *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

static inline bool nm_is_text(const struct nm_sym *s)
{
	return strchr("tTwWiI", s->type) && s->addr;
}

/* Start of the first text symbol after addr, or UINT64_MAX. */
static inline uint64_t nm_next_start(const struct nm_tab *t, uint64_t addr)
{
	uint64_t next = UINT64_MAX;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (nm_is_text(&t->v[i]) && t->v[i].addr > addr && t->v[i].addr < next)
			next = t->v[i].addr;
	return next;
}

/* The value of symbol name in path per `nm`; 0 if not found. */
static inline uint64_t nm_symbol(const char *path, const char *name)
{
	struct nm_tab t;
	const struct nm_sym *s;
	uint64_t v = 0;

	if (nm_load("", path, &t) == 0 && (s = nm_find(&t, name)))
		v = s->addr;
	free(t.v);
	return v;
}

#endif
