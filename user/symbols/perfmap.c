/* See perfmap.h. Entries are sorted by start; a lookup takes the latest line among those
 * that cover the address, looking back through entries that start before it while any of
 * them may still reach it (a running maximum of ends says when to stop). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "symbols/perfmap.h"
#include "util/arena.h"
#include "util/search.h"
#include "util/util.h"
#include "util/vec.h"

/* Entries looked at per lookup, bounding what overlapping hostile lines cost. */
#define PERFMAP_MAX_SCAN 4096

struct pm_entry {
	uint64_t start, end;
	uint64_t max_end;	/* of this entry and all before it */
	uint32_t seq;		/* line order: a later line wins */
	const char *name;
};

struct perfmap {
	struct pm_entry *v;
	size_t n, cap;
	struct arena names;
};

void perfmap__free(struct perfmap *pm)
{
	if (!pm)
		return;
	free(pm->v);
	arena__free(&pm->names);
	free(pm);
}

size_t perfmap__count(const struct perfmap *pm)
{
	return pm ? pm->n : 0;
}

/* A hex number with an optional 0x, then at least one blank. */
static bool parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end && digits <= 16; s++, digits++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0'
		      : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
		      : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;

		if (d < 0)
			break;
		v = v << 4 | (uint64_t)d;
	}
	if (!digits || digits > 16 || s == end || (*s != ' ' && *s != '\t'))
		return false;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*p = s;
	*out = v;
	return true;
}

static int perfmap__add(struct perfmap *pm, uint64_t start, uint64_t size, const char *name,
			size_t len)
{
	struct pm_entry *e;

	if (VEC_GROW(pm->v, pm->cap, pm->n + 1))
		return -ENOMEM;
	e = &pm->v[pm->n];
	e->start = start;
	e->end = start + size;
	e->seq = (uint32_t)pm->n;
	e->name = arena__strdup(&pm->names, name, len < PERFMAP_MAX_NAME ? len : PERFMAP_MAX_NAME);
	if (!e->name)
		return -ENOMEM;
	pm->n++;
	return 0;
}

/* One line [p, end): "START SIZE NAME". Malformed lines are skipped (returns 0). */
static int perfmap__line(struct perfmap *pm, const char *p, const char *end)
{
	uint64_t start, size;

	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (!parse_hex(&p, end, &start) || !parse_hex(&p, end, &size) || p == end || !size ||
	    start + size < start)
		return 0;
	return perfmap__add(pm, start, size, p, (size_t)(end - p));
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct pm_entry *a = pa, *b = pb;

	return a->start != b->start ? CMP3(a->start, b->start) : CMP3(a->seq, b->seq);
}

struct perfmap *perfmap__parse(const char *text, size_t len)
{
	struct perfmap *pm = calloc(1, sizeof(*pm));
	const char *p = text, *end = text + len;
	uint64_t max_end = 0;
	size_t i;

	if (!pm)
		return NULL;
	while (p < end && pm->n < PERFMAP_MAX_ENTRIES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		if (perfmap__line(pm, p, nl)) {
			perfmap__free(pm);
			errno = ENOMEM;
			return NULL;
		}
		p = nl + 1;
	}
	if (pm->n)
		qsort(pm->v, pm->n, sizeof(*pm->v), entry_cmp);
	for (i = 0; i < pm->n; i++) {
		if (pm->v[i].end > max_end)
			max_end = pm->v[i].end;
		pm->v[i].max_end = max_end;
	}
	return pm;
}

#define ENTRY_START(e) ((e)->start)

int perfmap__find(const struct perfmap *pm, uint64_t addr, const char **name, uint64_t *start)
{
	const struct pm_entry *best = NULL;
	size_t lo = pm ? UPPER_BOUND(pm->v, pm->n, ENTRY_START, addr) : 0, k;

	for (k = 0; lo > 0 && k < PERFMAP_MAX_SCAN && pm->v[lo - 1].max_end > addr; lo--, k++) {
		const struct pm_entry *e = &pm->v[lo - 1];

		if (addr < e->end && (!best || e->seq > best->seq))
			best = e;
	}
	if (!best)
		return -ENOENT;
	*name = best->name;
	*start = best->start;
	return 0;
}

/* ---- reading a process's map ---- */

/* From /proc/PID/status: the pid in the process's own namespace (last NSpid field) and
 * its effective uid. */
static int read_status(const char *sysroot, int pid, int *nspid, unsigned int *euid)
{
	char path[PATH_MAX], line[512];
	int found = 0;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/proc/%d/status", sysroot, pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*nspid = pid;
	while (fgets(line, sizeof(line), f)) {
		unsigned int r, e;
		char *last;

		if (!strncmp(line, "NSpid:", 6)) {
			line[strcspn(line, "\n")] = '\0';
			last = strrchr(line, '\t');
			*nspid = atoi(last ? last + 1 : line + 6);
		} else if (sscanf(line, "Uid: %u %u", &r, &e) == 2) {
			*euid = e;
			found = 1;
		}
	}
	fclose(f);
	return found && *nspid > 0 ? 0 : -ENOENT;
}

/* Opens /tmp/perf-NSPID.map resolved inside the process's root: its symlinks cannot lead
 * to our files, and a FIFO cannot block us. The map itself is no symlink: one would pass
 * the owner check with its target's owner (a root-owned file anyone can point at). */
static int open_map(const char *sysroot, int pid, int nspid)
{
	struct open_how how = { .flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW |
					 O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char path[PATH_MAX];
	int root, fd;

	if (snprintf(path, sizeof(path), "%s/proc/%d/root", sysroot, pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", nspid);
	fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(root);
	return fd;
}

static int read_bounded(int fd, char **buf, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *b = malloc(cap), *nb;
	ssize_t r;

	while (b && (r = read(fd, b + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap && cap < PERFMAP_MAX_SIZE) {
			cap = cap * 2 < PERFMAP_MAX_SIZE ? cap * 2 : PERFMAP_MAX_SIZE;
			nb = realloc(b, cap);
			if (!nb)
				break;
			b = nb;
		} else if (n == cap) {
			break; /* what fits: the lines past the bound are dropped */
		}
	}
	if (!b)
		return -ENOMEM;
	*buf = b;
	*len = n;
	return 0;
}

/* A process that has exited can only be looked for in our /tmp, under its pid: where a
 * process of our mount namespace left it (JITs do not remove their maps). Its owner can
 * no longer be checked. */
static int open_gone(const char *sysroot, int pid, unsigned int *euid)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (snprintf(path, sizeof(path), "%s/proc/%d", sysroot, pid) >= (int)sizeof(path) ||
	    !stat(path, &st) || errno != ENOENT)
		return -ENOENT;
	if (snprintf(path, sizeof(path), "%s/tmp/perf-%d.map", sysroot, pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*euid = fstat(fd, &st) ? 0 : st.st_uid;
	return fd;
}

struct perfmap *perfmap__load(int pid)
{
	return perfmap__load_at("", pid);
}

struct perfmap *perfmap__load_at(const char *sysroot, int pid)
{
	struct perfmap *pm = NULL;
	unsigned int euid = 0;
	char *buf = NULL;
	struct stat st;
	int nspid = 0, fd = -1, err;
	size_t len;

	err = read_status(sysroot, pid, &nspid, &euid);
	if (!err)
		err = fd = open_map(sysroot, pid, nspid);
	else if (err == -ENOENT)
		err = fd = open_gone(sysroot, pid, &euid);
	if (err >= 0)
		err = fstat(fd, &st) ? -errno : 0;
	if (!err && !S_ISREG(st.st_mode))
		err = -EINVAL;
	if (!err && st.st_uid != euid && st.st_uid != 0)
		err = -EPERM;
	if (!err)
		err = read_bounded(fd, &buf, &len);
	if (!err) {
		pm = perfmap__parse(buf, len);
		err = pm ? 0 : -ENOMEM;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	if (err)
		errno = -err;
	return pm;
}
