/* /proc/PID/maps parsing and the per-pid table of snapshots. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "proc/object.h"
#include "proc/procmaps.h"
#include "util/readfile.h"

#define MAPS_MAX_BYTES (256u << 20)	/* ~2.5M mappings: far beyond vm.max_map_count */
/* At most one reload per pid per 20 ms: right after exec the dynamic loader maps libraries
 * within milliseconds, and samples there must not wait long for them. */
#define RELOAD_INTERVAL_NS 20000000ull

struct procmaps {
	size_t n;
	struct procmaps_entry *entries;
	char *arena;		/* every path, NUL-terminated; arena[0] is "" */
	uint64_t text_hash;	/* of the maps text: a reload that changed nothing is dropped */
	size_t text_len;
};

/* Parse state: entries keep arena offsets until the arena stops moving. */
struct parse_state {
	struct procmaps *pm;
	size_t *path_off;
	size_t arena_len, arena_cap;
	size_t prev_off, prev_len;	/* last path stored, reused by the next identical one */
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 1 to max_digits hex digits; more digits is a malformed field, not a wrap-around. */
static bool parse_hex(const char **p, const char *end, unsigned max_digits, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	for (; s < end && (d = hex_digit(*s)) >= 0; s++) {
		if ((size_t)(s - *p) == max_digits)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

static bool parse_dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static bool parse_perms(const char **p, const char *end, uint32_t *prot)
{
	const char *s = *p;

	if (end - s < 4)
		return false;
	if ((s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') ||
	    (s[2] != 'x' && s[2] != '-') || (s[3] != 'p' && s[3] != 's'))
		return false;
	*prot = (s[0] == 'r' ? PM_R : 0) | (s[1] == 'w' ? PM_W : 0) | (s[2] == 'x' ? PM_X : 0);
	*p = s + 4;
	return true;
}

/* One line "start-end perms offset major:minor inode   path" (path optional, taken to the
 * end of the line as is: it may contain spaces). */
static bool parse_line(const char *s, const char *end, struct procmaps_entry *e,
		       const char **path, size_t *path_len)
{
	uint64_t major, minor;

	if (!parse_hex(&s, end, 16, &e->start) || !expect(&s, end, '-') ||
	    !parse_hex(&s, end, 16, &e->end) || !expect(&s, end, ' ') ||
	    !parse_perms(&s, end, &e->prot) || !expect(&s, end, ' ') ||
	    !parse_hex(&s, end, 16, &e->offset) || !expect(&s, end, ' ') ||
	    !parse_hex(&s, end, 8, &major) || !expect(&s, end, ':') ||
	    !parse_hex(&s, end, 8, &minor) || !expect(&s, end, ' ') ||
	    !parse_dec(&s, end, &e->inode))
		return false;
	if (e->start >= e->end)
		return false;
	if (s < end && *s != ' ')
		return false;
	while (s < end && *s == ' ')
		s++;
	if (memchr(s, '\0', (size_t)(end - s)))
		return false; /* not from the kernel, and it would cut the path short */
	e->dev = makedev((unsigned)major, (unsigned)minor);
	*path = s;
	*path_len = (size_t)(end - s);
	return true;
}

static int store_path(struct parse_state *ps, const char *path, size_t len, size_t *off)
{
	char *arena;
	size_t cap;

	if (len == 0) {
		*off = 0;
		return 0;
	}
	if (len == ps->prev_len && memcmp(ps->pm->arena + ps->prev_off, path, len) == 0) {
		*off = ps->prev_off;
		return 0;
	}
	if (len + 1 > ps->arena_cap - ps->arena_len) {
		cap = ps->arena_cap * 2 > ps->arena_len + len + 1 ? ps->arena_cap * 2
								   : ps->arena_len + len + 1;
		arena = realloc(ps->pm->arena, cap);
		if (!arena)
			return -ENOMEM;
		ps->pm->arena = arena;
		ps->arena_cap = cap;
	}
	*off = ps->arena_len;
	memcpy(ps->pm->arena + ps->arena_len, path, len);
	ps->pm->arena[ps->arena_len + len] = '\0';
	ps->arena_len += len + 1;
	ps->prev_off = *off;
	ps->prev_len = len;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct procmaps_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool ends_with_deleted(const char *path, size_t len)
{
	static const char sfx[] = " (deleted)";

	return len >= sizeof(sfx) - 1 && memcmp(path + len - (sizeof(sfx) - 1), sfx,
						sizeof(sfx) - 1) == 0;
}

static int parse_lines(struct parse_state *ps, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl, *path;
	struct procmaps_entry *e;
	size_t path_len;
	int err;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		e = &ps->pm->entries[ps->pm->n];
		memset(e, 0, sizeof(*e));
		if (!parse_line(p, nl, e, &path, &path_len))
			continue;
		e->deleted = ends_with_deleted(path, path_len);
		err = store_path(ps, path, path_len, &ps->path_off[ps->pm->n]);
		if (err)
			return err;
		ps->pm->n++;
	}
	return 0;
}

/* Sorts by start and drops entries overlapping an earlier one (the kernel never emits
 * them; garbage input may), so that the binary search in find() is exact. */
static void sort_entries(struct procmaps *pm)
{
	size_t i, k = 0;

	qsort(pm->entries, pm->n, sizeof(*pm->entries), cmp_start);
	for (i = 0; i < pm->n; i++) {
		if (k && pm->entries[i].start < pm->entries[k - 1].end)
			continue;
		pm->entries[k++] = pm->entries[i];
	}
	pm->n = k;
}

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

struct procmaps *procmaps__parse(const char *text, size_t len)
{
	struct parse_state ps = { .arena_len = 1, .arena_cap = 256 };
	size_t i, lines = 1;
	const char *p;
	int err = -ENOMEM;

	for (p = text; len && (p = memchr(p, '\n', len - (size_t)(p - text))); p++)
		lines++;
	ps.pm = calloc(1, sizeof(*ps.pm));
	if (!ps.pm)
		goto out;
	ps.pm->entries = calloc(lines, sizeof(*ps.pm->entries));
	ps.path_off = calloc(lines, sizeof(*ps.path_off));
	ps.pm->arena = malloc(ps.arena_cap);
	if (!ps.pm->entries || !ps.path_off || !ps.pm->arena)
		goto out;
	ps.pm->arena[0] = '\0';
	err = parse_lines(&ps, text, len);
	if (err)
		goto out;
	/* The arena is final now: paths become pointers. */
	for (i = 0; i < ps.pm->n; i++)
		ps.pm->entries[i].path = ps.pm->arena + ps.path_off[i];
	sort_entries(ps.pm);
	ps.pm->text_hash = fnv1a(text, len);
	ps.pm->text_len = len;
out:
	free(ps.path_off);
	if (err) {
		procmaps__free(ps.pm);
		errno = -err;
		return NULL;
	}
	return ps.pm;
}

void procmaps__free(struct procmaps *pm)
{
	if (!pm)
		return;
	free(pm->entries);
	free(pm->arena);
	free(pm);
}

const struct procmaps_entry *procmaps__find(const struct procmaps *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->n, mid;

	/* The last entry starting at or below addr is the only candidate. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pm->entries[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= pm->entries[lo - 1].end)
		return NULL;
	return &pm->entries[lo - 1];
}

size_t procmaps__count(const struct procmaps *pm)
{
	return pm->n;
}

const struct procmaps_entry *procmaps__entry(const struct procmaps *pm, size_t i)
{
	return i < pm->n ? &pm->entries[i] : NULL;
}

static int read_maps(int pid, char **text, size_t *len)
{
	char path[64];
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = readfile__all(path, 64 << 10, MAPS_MAX_BYTES, text, len);
	return err == -ENOENT ? -ESRCH : err;
}

static bool wants_object(const struct procmaps_entry *e)
{
	if (!(e->prot & PM_X))
		return false;
	return (e->inode && e->path[0] == '/') || strcmp(e->path, "[vdso]") == 0;
}

/* Objects that cannot be opened stay NULL: their frames show as module+offset. */
static void attach_objects(struct procmaps *pm, int pid, struct objcache *oc)
{
	struct procmaps_entry *e;
	size_t i;

	for (i = 0; oc && i < pm->n; i++) {
		e = &pm->entries[i];
		if (wants_object(e))
			e->obj = objcache__get(oc, pid, e->start, e->end, e->path, e->dev, e->inode);
	}
}

struct procmaps *procmaps__load(int pid, struct objcache *oc)
{
	struct procmaps *pm;
	char *text;
	size_t len = 0;
	int err;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	err = read_maps(pid, &text, &len);
	if (err) {
		errno = -err;
		return NULL;
	}
	pm = procmaps__parse(text, len);
	free(text);
	if (pm)
		attach_objects(pm, pid, oc);
	return pm;
}

/* ---- proctab ---- */

struct proc {
	int pid;
	bool used;
	bool stale;		/* exec'ed since the last load */
	bool exec;		/* exec'ed since the last load (the next one is "at exec") */
	bool at_exec;		/* the last load was the one right after exec */
	int err;		/* why the last load failed (cur == NULL) */
	uint64_t loaded_ns;	/* CLOCK_MONOTONIC of the last load attempt */
	struct procmaps *cur;
};

struct proctab {
	struct objcache *oc;
	struct proc *slots;	/* open addressing on pid; cap is a power of two */
	size_t cap, n;
	struct procmaps **snaps; /* every snapshot handed out, freed with the table */
	size_t n_snaps, cap_snaps;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct proctab *proctab__new(struct objcache *oc)
{
	struct proctab *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return NULL;
	pt->oc = oc;
	pt->cap = 256;
	pt->slots = calloc(pt->cap, sizeof(*pt->slots));
	if (!pt->slots) {
		free(pt);
		return NULL;
	}
	return pt;
}

void proctab__free(struct proctab *pt)
{
	size_t i;

	if (!pt)
		return;
	for (i = 0; i < pt->n_snaps; i++)
		procmaps__free(pt->snaps[i]);
	free(pt->snaps);
	free(pt->slots);
	free(pt);
}

static struct proc *slot_lookup(struct proc *slots, size_t cap, int pid)
{
	size_t i = ((uint32_t)pid * 0x9e3779b1u) & (cap - 1);

	while (slots[i].used && slots[i].pid != pid)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int slots_grow(struct proctab *pt)
{
	struct proc *slots;
	size_t i;

	slots = calloc(pt->cap * 2, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < pt->cap; i++)
		if (pt->slots[i].used)
			*slot_lookup(slots, pt->cap * 2, pt->slots[i].pid) = pt->slots[i];
	free(pt->slots);
	pt->slots = slots;
	pt->cap *= 2;
	return 0;
}

/* The slot of pid, created unused-but-reserved on first sight. NULL on ENOMEM. */
static struct proc *proc_slot(struct proctab *pt, int pid)
{
	struct proc *p = slot_lookup(pt->slots, pt->cap, pid);

	if (p->used)
		return p;
	if (2 * (pt->n + 1) > pt->cap) {
		if (slots_grow(pt))
			return NULL;
		p = slot_lookup(pt->slots, pt->cap, pid);
	}
	*p = (struct proc){ .pid = pid, .used = true, .stale = true };
	pt->n++;
	return p;
}

static int keep_snapshot(struct proctab *pt, struct procmaps *pm)
{
	struct procmaps **snaps;
	size_t cap;

	if (pt->n_snaps == pt->cap_snaps) {
		cap = pt->cap_snaps ? pt->cap_snaps * 2 : 64;
		snaps = realloc(pt->snaps, cap * sizeof(*snaps));
		if (!snaps)
			return -ENOMEM;
		pt->snaps = snaps;
		pt->cap_snaps = cap;
	}
	pt->snaps[pt->n_snaps++] = pm;
	return 0;
}

/* Loads the maps of p again. The previous snapshot stays current when the load fails (the
 * process may be gone: its last maps are still the best answer) and when the text did not
 * change (no new snapshot for a pid that keeps missing on garbage addresses). */
static int proc_reload(struct proctab *pt, struct proc *p)
{
	struct procmaps *pm = NULL;
	char *text = NULL;
	size_t len = 0;
	int err;

	p->loaded_ns = now_ns();
	p->at_exec = p->exec;
	p->exec = false;
	p->stale = false;
	err = read_maps(p->pid, &text, &len);
	if (err)
		goto out;
	/* An exiting process has released its address space and reads as empty; the records
	 * of its last moments still need the maps it had. */
	if (p->cur && (!len || (p->cur->text_len == len && p->cur->text_hash == fnv1a(text, len))))
		goto out;
	err = -ENOMEM;
	pm = procmaps__parse(text, len);
	if (!pm || keep_snapshot(pt, pm))
		goto out;
	attach_objects(pm, p->pid, pt->oc);
	p->cur = pm;
	pm = NULL;
	err = 0;
out:
	procmaps__free(pm);
	free(text);
	if (err)
		p->err = -err;
	return err;
}

/* The slot of pid with its maps loaded if they can be; NULL with errno set otherwise. */
static struct proc *proc_get(struct proctab *pt, int pid)
{
	struct proc *p;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	p = proc_slot(pt, pid);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	/* A pid whose maps could not be read is retried, but not at every sample. */
	if (p->stale || (!p->cur && now_ns() - p->loaded_ns >= RELOAD_INTERVAL_NS))
		proc_reload(pt, p);
	if (!p->cur) {
		errno = p->err;
		return NULL;
	}
	return p;
}

const struct procmaps *proctab__get(struct proctab *pt, int pid)
{
	struct proc *p = proc_get(pt, pid);

	return p ? p->cur : NULL;
}

const struct procmaps_entry *proctab__find(struct proctab *pt, int pid, uint64_t addr)
{
	const struct procmaps_entry *e;
	struct proc *p = proc_get(pt, pid);

	if (!p)
		return NULL;
	e = procmaps__find(p->cur, addr);
	if (e && (e->prot & PM_X))
		return e;
	/* The maps loaded at exec lack the libraries the loader maps a moment later: the first
	 * miss after them reloads at once, later ones at most every RELOAD_INTERVAL_NS. */
	if ((!p->at_exec && now_ns() - p->loaded_ns < RELOAD_INTERVAL_NS) || proc_reload(pt, p)) {
		errno = ENOENT;
		return NULL;
	}
	e = procmaps__find(p->cur, addr);
	if (e && (e->prot & PM_X))
		return e;
	errno = ENOENT;
	return NULL;
}

void proctab__invalidate(struct proctab *pt, int pid)
{
	struct proc *p;

	if (pid <= 0)
		return;
	/* Known or not (a child that forked and exec'ed), its next load is the one at exec. */
	p = proc_slot(pt, pid);
	if (!p)
		return;
	p->stale = true;
	p->exec = true;
}
