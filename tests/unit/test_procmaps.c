/* procmaps: the maps parser on realistic and broken text, find() at boundaries, loading our
 * own maps (libc's object and build id), and the per-pid table (reload, rate limit, exec,
 * snapshots that outlive the process); /proc/PID/stat's fields (pidstat). */
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cprof.h"
#include "maps_util.h"
#include "proc/object.h"
#include "proc/pidstat.h"
#include "proc/procmaps.h"
#include "proc/proctab.h"

static const char realistic[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1835012                    /usr/bin/my prog\n"
	"55d0c0a02000-55d0c0a06000 r-xp 00002000 fd:01 1835012                    /usr/bin/my prog\n"
	"55d0c1e4b000-55d0c1e6c000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 \n"
	"7f1e30a28000-7f1e30bbd000 r-xp 00028000 103:02 264222                    /tmp/lib with  spaces.so (deleted)\n"
	"7f1e30bbd000-7f1e30bc0000 rw-s 00000000 00:05 9                          /dev/zero (deleted)\n"
	"7ffd6d3a1000-7ffd6d3c2000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd6d3f4000-7ffd6d3f6000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

TEST(parse_realistic)
{
	struct procmaps *pm = procmaps__parse(realistic, strlen(realistic));
	const struct procmaps_entry *e;

	REQUIRE(pm, "parse: %s", strerror(errno));
	CHECK(procmaps__count(pm) == 9, "count %zu", procmaps__count(pm));
	e = procmaps__entry(pm, 1);
	REQUIRE(e, "entry 1");
	CHECK(e->start == 0x55d0c0a02000 && e->end == 0x55d0c0a06000, "%" PRIx64, e->start);
	CHECK(e->offset == 0x2000 && e->prot == (PM_R | PM_X), "offset/prot");
	CHECK(e->dev == makedev(0xfd, 1) && e->inode == 1835012, "dev/inode");
	CHECK(!strcmp(e->path, "/usr/bin/my prog") && !e->deleted, "path '%s'", e->path);
	CHECK(e->obj == NULL, "parse opens no object");
	e = procmaps__entry(pm, 2);
	CHECK(e && !strcmp(e->path, "[heap]") && e->prot == (PM_R | PM_W), "heap");
	e = procmaps__entry(pm, 3);
	CHECK(e && !strcmp(e->path, "") && e->inode == 0 && e->dev == 0, "anonymous");
	e = procmaps__entry(pm, 4);
	REQUIRE(e, "entry 4");
	CHECK(!strcmp(e->path, "/tmp/lib with  spaces.so (deleted)") && e->deleted,
	      "deleted path '%s'", e->path);
	CHECK(e->dev == makedev(0x103, 2) && e->offset == 0x28000, "3-digit major");
	e = procmaps__entry(pm, 5);
	CHECK(e && e->prot == (PM_R | PM_W) && e->deleted, "shared anonymous");
	e = procmaps__entry(pm, 7);
	CHECK(e && !strcmp(e->path, "[vdso]") && e->prot == (PM_R | PM_X), "vdso");
	e = procmaps__entry(pm, 8);
	CHECK(e && e->start == 0xffffffffff600000ull && e->prot == PM_X, "vsyscall");
	procmaps__free(pm);
}

TEST(find_boundaries)
{
	struct procmaps *pm = procmaps__parse(realistic, strlen(realistic));
	const struct procmaps_entry *e;

	REQUIRE(pm, "parse");
	CHECK(!procmaps__find(pm, 0), "below all");
	CHECK(!procmaps__find(pm, 0x55d0c09fffff), "just below first");
	e = procmaps__find(pm, 0x55d0c0a00000);
	CHECK(e && e->start == 0x55d0c0a00000, "start inclusive");
	e = procmaps__find(pm, 0x55d0c0a01fff);
	CHECK(e && e->start == 0x55d0c0a00000, "end - 1");
	e = procmaps__find(pm, 0x55d0c0a02000);
	CHECK(e && e->start == 0x55d0c0a02000, "end exclusive: adjacent next mapping");
	CHECK(!procmaps__find(pm, 0x55d0c0a06000), "end exclusive: gap after");
	CHECK(!procmaps__find(pm, 0x7000000000), "in a gap");
	e = procmaps__find(pm, 0xffffffffff600fffull);
	CHECK(e && e->prot == PM_X, "last byte of last mapping");
	CHECK(!procmaps__find(pm, 0xffffffffff601000ull), "after last");
	CHECK(!procmaps__find(pm, UINT64_MAX), "max");
	procmaps__free(pm);
}

TEST(parse_garbage_and_unsorted)
{
	static const char text[] =
		"garbage\n"
		"\n"
		"3000-4000 r-xp 00000000 00:00 0 /ok/b\n"
		"1000-2000 r-xp 00000000 00:00 0\n"	/* unsorted, no path */
		"11111111111111111-2 r-xp 0 00:00 0 /too/many/digits\n"
		"5000-5000 r-xp 00000000 00:00 0 /empty\n"
		"6000-5000 r-xp 00000000 00:00 0 /reversed\n"
		"7000-8000 rzxp 00000000 00:00 0 /badperm\n"
		"7000-8000 r-xp 00000000 00:00 x /badinode\n"
		"7000-8000 r-xp 00000000 0000 1 /nodev\n"
		"3800-3900 r-xp 00000000 00:00 0 /overlaps/b\n"
		"7000-8000 r-xp 00000000 00:00 1/nospace\n"
		"9000-a000 r-xp 00000000 00:00 0 /truncated-here";
	struct procmaps *pm;
	const struct procmaps_entry *e;

	/* The last line is cut by len, not by a NUL: the parser must honour len. */
	pm = procmaps__parse(text, sizeof(text) - 1 - strlen("-here"));
	REQUIRE(pm, "parse");
	CHECK(procmaps__count(pm) == 3, "count %zu", procmaps__count(pm));
	e = procmaps__entry(pm, 0);
	CHECK(e && e->start == 0x1000 && !strcmp(e->path, ""), "sorted first");
	e = procmaps__entry(pm, 1);
	CHECK(e && e->start == 0x3000 && !strcmp(e->path, "/ok/b"), "second");
	e = procmaps__entry(pm, 2);
	CHECK(e && e->start == 0x9000 && !strcmp(e->path, "/truncated"), "cut by len: '%s'",
	      e ? e->path : "");
	CHECK(!procmaps__find(pm, 0x3850) || procmaps__find(pm, 0x3850)->start == 0x3000,
	      "overlap dropped");
	procmaps__free(pm);
	pm = procmaps__parse("", 0);
	CHECK(pm && procmaps__count(pm) == 0 && !procmaps__find(pm, 0), "empty text");
	procmaps__free(pm);
}

TEST(load_self_libc)
{
	struct objcache *oc = objcache__new();
	struct procmaps *pm = procmaps__load(getpid(), oc);
	const struct procmaps_entry *e;
	char expect[41];

	REQUIRE(oc && pm, "load: %s", strerror(errno));
	e = maps_find_exec(pm, "/libc.so.6");
	REQUIRE(e, "libc executable mapping");
	REQUIRE(e->obj, "libc object: %s", strerror(errno));
	CHECK(e->obj->is_elf && e->obj->e_type == 3 /* ET_DYN */, "elf");
	CHECK(!strcmp(e->obj->path, e->path), "path %s", e->obj->path);
	CHECK(e->obj->dev == e->dev && e->obj->inode == e->inode, "dev/inode");
	readelf_build_id(e->path, expect);
	if (!expect[0])
		SKIP("readelf -n %s gave no build id", e->path);
	CHECK(!strcmp(e->obj->build_id, expect), "build id %s, readelf %s", e->obj->build_id,
	      expect);
	e = procmaps__find(pm, (uintptr_t)&maps_find_exec);
	CHECK(e && (e->prot & PM_X) && e->obj && e->obj->is_elf, "our own text");
	e = procmaps__find(pm, (uintptr_t)&e);
	CHECK(e && !strcmp(e->path, "[stack]") && !e->obj, "stack, no object");
	procmaps__free(pm);
	objcache__free(oc);
}

TEST(load_gone_pid)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	REQUIRE(pid > 0, "fork");
	waitpid(pid, NULL, 0);
	errno = 0;
	CHECK(!procmaps__load(pid, NULL) && errno == ESRCH, "errno %d", errno);
	CHECK(!procmaps__load(0, NULL) && errno == EINVAL, "pid 0");
}

/* The proctab's rate limit (procmaps.h: at most one reload per pid per 20 ms) reads
 * CLOCK_MONOTONIC through clock_gettime. This definition takes precedence over libc's for
 * everything linked into this test, so a test sets the time the table sees instead of
 * sleeping and hoping a busy machine keeps to its schedule. Off (0), it is the real clock. */
#define RELOAD_INTERVAL_NS 20000000ull

static uint64_t g_fake_ns;
static unsigned long g_fake_reads;

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (clk != CLOCK_MONOTONIC || !g_fake_ns)
		return (int)syscall(SYS_clock_gettime, clk, ts);
	g_fake_reads++;
	ts->tv_sec = (time_t)(g_fake_ns / 1000000000ull);
	ts->tv_nsec = (long)(g_fake_ns % 1000000000ull);
	return 0;
}

/* Reload on a miss, at most once per 20 ms; old snapshots stay readable. Pages of a
 * PROT_NONE region made executable one by one are misses the table has to reload for. */
TEST(proctab_reload_rate_limited)
{
	struct objcache *oc = objcache__new();
	struct proctab *pt = proctab__new(oc);
	const struct procmaps *pm1, *pm2;
	const struct procmaps_entry *e, *first;
	uint64_t first_start, t0 = 1000ull * 1000000000ull;
	size_t n1;
	char *r;
	int err;

	REQUIRE(oc && pt, "new");
	r = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(r != MAP_FAILED, "mmap");
	g_fake_ns = t0;
	pm1 = proctab__get(pt, getpid());
	REQUIRE(pm1, "get: %s", strerror(errno));
	REQUIRE(g_fake_reads > 0, "the table reads the clock through clock_gettime");
	CHECK(proctab__get(pt, getpid()) == pm1, "second get reuses the snapshot");
	n1 = procmaps__count(pm1);
	first = procmaps__entry(pm1, 0);
	first_start = first->start;
	e = proctab__find(pt, getpid(), 0, (uintptr_t)&clock_gettime);
	CHECK(e && (e->prot & PM_X), "own text found");
	err = mprotect(r, 4096, PROT_READ | PROT_EXEC);
	REQUIRE(!err, "mprotect");
	CHECK(!proctab__find(pt, getpid(), 0, (uintptr_t)r), "at the load: no reload");
	g_fake_ns = t0 + RELOAD_INTERVAL_NS - 1;
	CHECK(!proctab__find(pt, getpid(), 0, (uintptr_t)r), "1 ns before 20 ms: no reload");
	CHECK(proctab__get(pt, getpid()) == pm1, "still the first snapshot");
	g_fake_ns = t0 + RELOAD_INTERVAL_NS;
	e = proctab__find(pt, getpid(), 0, (uintptr_t)r + 10);
	CHECK(e && e->start == (uintptr_t)r && (e->prot & PM_X), "reloaded at 20 ms");
	pm2 = proctab__get(pt, getpid());
	CHECK(pm2 && pm2 != pm1, "new snapshot");
	CHECK(procmaps__count(pm1) == n1 && first->start == first_start, "old snapshot intact");
	e = procmaps__find(pm1, (uintptr_t)r);
	CHECK(e && e->prot == 0, "old snapshot still sees PROT_NONE");
	err = mprotect(r + 8192, 4096, PROT_READ | PROT_EXEC);
	REQUIRE(!err, "mprotect");
	g_fake_ns = t0 + 2 * RELOAD_INTERVAL_NS - 1;
	CHECK(!proctab__find(pt, getpid(), 0, (uintptr_t)r + 8192), "rate limited after a reload");
	CHECK(proctab__get(pt, getpid()) == pm2, "still the second snapshot");
	g_fake_ns = t0 + 2 * RELOAD_INTERVAL_NS;
	e = proctab__find(pt, getpid(), 0, (uintptr_t)r + 8192);
	CHECK(e && e->start == (uintptr_t)r + 8192, "found 20 ms after the reload");
	g_fake_ns = t0 + 3 * RELOAD_INTERVAL_NS;
	CHECK(!proctab__find(pt, getpid(), 0, (uintptr_t)r + 4096), "PROT_NONE page is no text");
	g_fake_ns = 0;
	munmap(r, 3 * 4096);
	proctab__free(pt);
	objcache__free(oc);
}

TEST(proctab_invalidate_reloads_at_once)
{
	struct objcache *oc = objcache__new();
	struct proctab *pt = proctab__new(oc);
	const struct procmaps *pm1, *pm2;
	char *a;

	REQUIRE(oc && pt, "new");
	g_fake_ns = 1000ull * 1000000000ull;
	pm1 = proctab__get(pt, getpid());
	REQUIRE(pm1, "get");
	a = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(a != MAP_FAILED, "mmap");
	CHECK(proctab__get(pt, getpid()) == pm1, "no reload without a reason");
	proctab__invalidate(pt, getpid());
	pm2 = proctab__get(pt, getpid());
	CHECK(pm2 && pm2 != pm1 && procmaps__find(pm2, (uintptr_t)a), "reloaded after exec");
	CHECK(!procmaps__find(pm1, (uintptr_t)a), "old snapshot unchanged");
	/* The loader maps libraries right after exec: the first miss reloads at once. */
	REQUIRE(!mprotect(a, 4096, PROT_READ | PROT_EXEC), "mprotect");
	CHECK(proctab__find(pt, getpid(), 0, (uintptr_t)a), "first miss after exec: reloaded at once");
	REQUIRE(!mprotect(a + 4096, 4096, PROT_READ | PROT_EXEC), "mprotect");
	CHECK(!proctab__find(pt, getpid(), 0, (uintptr_t)a + 4096), "second miss: rate limited");
	g_fake_ns += RELOAD_INTERVAL_NS;
	CHECK(proctab__find(pt, getpid(), 0, (uintptr_t)a + 4096), "second miss 20 ms later: reloaded");
	g_fake_ns = 0;
	proctab__invalidate(pt, 999999999);	/* unknown pid: loads fail, later */
	munmap(a, 8192);
	proctab__free(pt);
	objcache__free(oc);
}

/* An exit read makes the process "exited recently" for one second (its late records are
 * its own), then no longer: past it, the pid names whatever process has it next. */
TEST(proctab_exited_recently)
{
	struct objcache *oc = objcache__new();
	struct proctab *pt = proctab__new(oc);
	uint64_t t0 = 2000ull * 1000000000ull;

	REQUIRE(oc && pt, "new");
	g_fake_ns = t0;
	REQUIRE(proctab__get(pt, getpid()), "get: %s", strerror(errno));
	CHECK(!proctab__exited_recently(pt, getpid()), "alive: not exited");
	CHECK(!proctab__exited_recently(pt, INT_MAX), "unknown pid: not exited");
	proctab__exit(pt, getpid());
	CHECK(proctab__exited_recently(pt, getpid()), "at its exit");
	g_fake_ns = t0 + 1000000000ull;
	CHECK(proctab__exited_recently(pt, getpid()), "1 s after its exit");
	g_fake_ns = t0 + 1000000001ull;
	CHECK(!proctab__exited_recently(pt, getpid()), "past 1 s: the pid is another's");
	g_fake_ns = 0;
	proctab__free(pt);
	objcache__free(oc);
}

/* A process that exits keeps its last snapshot and its objects stay readable. */
TEST(proctab_child_exits)
{
	struct objcache *oc = objcache__new();
	struct proctab *pt = proctab__new(oc);
	const struct procmaps_entry *e;
	struct maps_child c;
	char expect[41], magic[4];
	int err, pid;

	REQUIRE(oc && pt, "new");
	err = maps_child_start(&c, fixture("obj_pie"));
	REQUIRE(!err, "start %s: %s", fixture("obj_pie"), strerror(-err));
	pid = c.pid;
	e = proctab__find(pt, pid, 0, c.marker);
	maps_child_stop(&c);
	REQUIRE(e && e->obj, "fixture text mapping and object");
	CHECK(strstr(e->path, "obj_pie") != NULL, "path %s", e->path);
	CHECK(pread(e->obj->fd, magic, 4, 0) == 4 && !memcmp(magic, "\177ELF", 4),
	      "fd readable after exit");
	readelf_build_id(fixture("obj_pie"), expect);
	CHECK(expect[0] && !strcmp(e->obj->build_id, expect), "build id %s / %s",
	      e->obj->build_id, expect);
	CHECK(proctab__find(pt, pid, 0, c.marker) == e, "same entry after exit");
	proctab__invalidate(pt, pid);
	CHECK(proctab__get(pt, pid) != NULL, "last snapshot kept when the reload fails");
	errno = 0;
	CHECK(!proctab__get(pt, INT_MAX) && errno == ESRCH, "unknown pid: errno %d", errno);
	proctab__free(pt);
	objcache__free(oc);
}

/* A name with spaces and parentheses, fields after it with -1 (tpgid) and UINT64_MAX
 * (rsslim), startstack the 28th field. */
static const char stat_line[] =
	"4242 (a) (b c) S 17 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 99 1000 10 "
	"18446744073709551615 94019061510144 94019062299549 140729780432144 0 0 0 65536 4 "
	"1132560123 1 0 0 17 0 0 0 0 0 0\n";

TEST(pidstat_parse)
{
	char cut[sizeof(stat_line)];
	struct pidstat ps = { 0 };

	CHECK(!pidstat__parse(stat_line, strlen(stat_line), &ps), "realistic line");
	CHECK(!strcmp(ps.comm, "a) (b c"), "comm '%s'", ps.comm);
	CHECK(ps.ppid == 17 && ps.flags == 4194560, "ppid %d flags %llu", ps.ppid,
	      (unsigned long long)ps.flags);
	CHECK(ps.start_stack == 140729780432144ull, "startstack %llu",
	      (unsigned long long)ps.start_stack);
	/* Cut before startstack, and with a letter where a number belongs. */
	memcpy(cut, stat_line, sizeof(cut));
	CHECK(pidstat__parse(cut, (size_t)(strstr(cut, "140729") - cut), &ps) == -EINVAL,
	      "cut before startstack");
	strstr(cut, " 99 ")[2] = 'x';
	CHECK(pidstat__parse(cut, strlen(cut), &ps) == -EINVAL, "letter in a number");
	CHECK(pidstat__parse("1 (x", 4, &ps) == -EINVAL, "no closing parenthesis");
	CHECK(!pidstat__read(getpid(), &ps), "our own stat");
	CHECK(ps.ppid == getppid() && ps.start_stack, "ppid %d (want %d), startstack %llx", ps.ppid,
	      getppid(), (unsigned long long)ps.start_stack);
	CHECK(pidstat__read(INT_MAX, &ps) == -ESRCH, "no such pid");
}

/* An exec record's mappings as a snapshot of their own: the executable's file opened by
 * its path in our root only while that is the same inode and the root ours, an object
 * open already found by its inode, the vDSO, and a path that cannot add a line. */
TEST(procmaps_from_exec)
{
	struct objcache *oc = objcache__new(), *fresh = objcache__new();
	struct procmaps *self = procmaps__load(getpid(), NULL), *pm;
	const struct procmaps_entry *exe, *vdso, *e;
	struct cprof_exec_info xi = { .n_vmas = 2 };

	REQUIRE(oc && fresh && self, "new, load");
	exe = maps_find_exec(self, "test_procmaps");
	vdso = maps_find_exec(self, "[vdso]");
	REQUIRE(exe && vdso, "our text and vdso");
	xi.vmas[0] = (struct cprof_exec_vma){ .start = exe->start, .end = exe->end,
		.offset = exe->offset, .ino = exe->inode, .is_exe = 1,
		.dev = major(exe->dev) << 20 | minor(exe->dev) };
	xi.vmas[1] = (struct cprof_exec_vma){ .start = vdso->start, .end = vdso->end };
	snprintf(xi.path, sizeof(xi.path), "%s", exe->path);
	pm = procmaps__from_exec(&xi, oc, true);
	REQUIRE(pm && procmaps__count(pm) == 2, "two mappings");
	e = procmaps__find(pm, exe->start);
	CHECK(e && e->obj && e->obj->inode == exe->inode && !strcmp(e->path, exe->path),
	      "the executable, opened by its path");
	e = procmaps__find(pm, vdso->start);
	CHECK(e && e->obj && e->obj->is_vdso, "the vDSO");
	procmaps__free(pm);
	pm = procmaps__from_exec(&xi, oc, false);
	e = pm ? procmaps__find(pm, exe->start) : NULL;
	CHECK(e && e->obj && e->obj->inode == exe->inode, "another root: the object open already");
	procmaps__free(pm);
	pm = procmaps__from_exec(&xi, fresh, false);
	e = pm ? procmaps__find(pm, exe->start) : NULL;
	CHECK(e && !e->obj, "another root, nothing open: no object");
	procmaps__free(pm);
	xi.vmas[0].ino++;
	pm = procmaps__from_exec(&xi, fresh, true);
	e = pm ? procmaps__find(pm, exe->start) : NULL;
	CHECK(e && !e->obj, "the path is another inode now: no object");
	procmaps__free(pm);
	snprintf(xi.path, sizeof(xi.path), "/x\n10000-20000 r-xp 00000000 00:00 0 /y");
	pm = procmaps__from_exec(&xi, fresh, true);
	CHECK(pm && procmaps__count(pm) == 2 && !procmaps__find(pm, 0x10000),
	      "a newline in the path adds no mapping");
	procmaps__free(pm);
	procmaps__free(self);
	objcache__free(fresh);
	objcache__free(oc);
}

/* A child's records from before its exec show its parent's image: they are placed in the
 * parent's maps (found by its parent, or, the child gone before it could be read, by the
 * image), its later ones in its own; an image no process showed places nothing. */
TEST(proctab_images)
{
	struct objcache *oc = objcache__new();
	struct proctab *pt = proctab__new(oc);
	uint64_t here = (uintptr_t)&proctab__find;
	const struct procmaps_entry *e;
	struct pidstat self, child;
	struct maps_child c;
	int err, pid;

	REQUIRE(oc && pt && !pidstat__read(getpid(), &self), "new, our image");
	err = maps_child_start(&c, fixture("obj_pie"));
	REQUIRE(!err, "start %s: %s", fixture("obj_pie"), strerror(-err));
	REQUIRE(!pidstat__read(c.pid, &child) && child.start_stack != self.start_stack,
		"the child's image");
	e = proctab__find(pt, c.pid, self.start_stack, here);
	CHECK(e && strstr(e->path, "test_procmaps"), "before its exec: our maps (%s)",
	      e ? e->path : "none");
	e = proctab__find(pt, c.pid, child.start_stack, c.marker);
	CHECK(e && strstr(e->path, "obj_pie"), "after: its own (%s)", e ? e->path : "none");
	CHECK(!proctab__find(pt, c.pid, child.start_stack, here), "ours is not in its image");
	maps_child_stop(&c);
	err = maps_child_start(&c, fixture("obj_pie"));
	REQUIRE(!err, "start: %s", strerror(-err));
	pid = c.pid;
	maps_child_stop(&c);
	e = proctab__find(pt, pid, self.start_stack, here);
	CHECK(e && strstr(e->path, "test_procmaps"), "gone before it was read: by the image");
	CHECK(!proctab__find(pt, pid, self.start_stack ^ 0x1000, here), "an unknown image");
	proctab__free(pt);
	objcache__free(oc);
}

/* Exec records for processes gone before their maps could be read: the record's mappings
 * stand for the image's. */
TEST(proctab_exec_gone)
{
	struct objcache *oc = objcache__new();
	struct proctab *pt = proctab__new(oc);
	struct procmaps *self = procmaps__load(getpid(), NULL);
	const struct procmaps_entry *exe, *e;
	struct cprof_exec_info xi = { .n_vmas = 1 };
	struct maps_child c;
	struct stat st;
	int err, pid;

	REQUIRE(oc && pt && self, "new, load");
	exe = maps_find_exec(self, "test_procmaps");
	REQUIRE(exe, "our text");
	xi.vmas[0] = (struct cprof_exec_vma){ .start = exe->start, .end = exe->end,
		.offset = exe->offset, .ino = exe->inode, .is_exe = 1,
		.dev = major(exe->dev) << 20 | minor(exe->dev) };
	snprintf(xi.path, sizeof(xi.path), "%s", exe->path);
	/* Our own root, so that the executable is opened by its path. */
	REQUIRE(!stat("/", &st), "stat /");
	xi.root_ino = st.st_ino;
	xi.root_dev = major(st.st_dev) << 20 | minor(st.st_dev);
	err = maps_child_start(&c, fixture("obj_pie"));
	REQUIRE(!err, "start: %s", strerror(-err));
	pid = c.pid;
	maps_child_stop(&c);
	proctab__exec(pt, pid, 0x7ffc12345000, &xi);
	e = proctab__find(pt, pid, 0x7ffc12345000, exe->start + 16);
	CHECK(e && e->obj && e->obj->inode == exe->inode, "placed in the record's mapping");
	CHECK(proctab__get(pt, pid) && procmaps__count(proctab__get(pt, pid)) == 1,
	      "the record's maps are the process's");
	procmaps__free(self);
	proctab__free(pt);
	objcache__free(oc);
}

/* A pid given to another process right after its owner's exit: a record showing an image
 * the gone process never showed, or an exec, is the new one's (a new generation, the gone
 * one on the exited list); a late record of the gone one's own image is still its own. */
TEST(proctab_pid_reused)
{
	struct objcache *oc = objcache__new();
	struct proctab *pt = proctab__new(oc);
	const struct procmaps_entry *e;
	struct pidstat child;
	struct maps_child c;
	uint32_t gen;
	size_t n;
	int err, pid;

	REQUIRE(oc && pt, "new");
	err = maps_child_start(&c, fixture("obj_pie"));
	REQUIRE(!err, "start %s: %s", fixture("obj_pie"), strerror(-err));
	pid = c.pid;
	REQUIRE(!pidstat__read(pid, &child), "the child's image");
	e = proctab__find(pt, pid, child.start_stack, c.marker);
	CHECK(e && strstr(e->path, "obj_pie"), "its maps (%s)", e ? e->path : "none");
	gen = proctab__gen(pt, pid);
	maps_child_stop(&c);
	proctab__exit(pt, pid);
	proctab__record(pt, pid, child.start_stack);
	proctab__exited(pt, &n);
	CHECK(n == 0 && proctab__gen(pt, pid) == gen, "a late record of its image: still its own");
	CHECK(proctab__find(pt, pid, child.start_stack, c.marker), "its maps still current");
	proctab__record(pt, pid, 0);
	proctab__exited(pt, &n);
	CHECK(n == 0 && proctab__gen(pt, pid) == gen, "a record without an image proves nothing");
	proctab__record(pt, pid, child.start_stack ^ 0x1000);
	proctab__exited(pt, &n);
	CHECK(n == 1 && proctab__gen(pt, pid) != gen, "another image: another process (%zu exited)", n);
	gen = proctab__gen(pt, pid);
	proctab__exit(pt, pid);
	proctab__exec(pt, pid, child.start_stack, NULL);
	proctab__exited(pt, &n);
	CHECK(n == 2 && proctab__gen(pt, pid) != gen, "an exec after the exit: another process");
	proctab__free(pt);
	objcache__free(oc);
}

/* A gone process's snapshot gains the area a BPF program saw a pc in, when an open object
 * maps that file: the new entry has it, the old entries keep theirs; an overlapping area
 * or a file no object maps adds nothing. */
TEST(procmaps_with_vma)
{
	struct objcache *oc = objcache__new();
	struct procmaps *self = procmaps__load(getpid(), oc), *pm, *out;
	const struct procmaps_entry *libc, *e;
	struct cprof_exec_vma v;
	char text[256];

	REQUIRE(oc && self, "load: %s", strerror(errno));
	libc = maps_find_exec(self, "/libc.so.6");
	REQUIRE(libc && libc->obj, "libc's text and object");
	v = (struct cprof_exec_vma){ .start = libc->start, .end = libc->end, .offset = libc->offset,
		.ino = libc->inode, .dev = major(libc->dev) << 20 | minor(libc->dev) };
	snprintf(text, sizeof(text), "1000-2000 r-xp 00000000 00:00 0 [vdso]\n");
	pm = procmaps__parse(text, strlen(text));
	REQUIRE(pm, "parse");
	procmaps__set_image(pm, 0x7ffc0000);
	out = procmaps__with_vma(pm, &v, oc);
	REQUIRE(out, "with libc's area: %s", strerror(errno));
	e = procmaps__find(out, libc->start + 16);
	CHECK(procmaps__count(out) == 2 && e && e->obj == libc->obj && !strcmp(e->path, libc->path),
	      "libc placed with its object (%s)", e ? e->path : "none");
	e = procmaps__find(out, 0x1800);
	CHECK(e && !strcmp(e->path, "[vdso]"), "the old entry kept");
	CHECK(procmaps__image(out) == 0x7ffc0000, "the same image");
	procmaps__free(out);
	v.start = 0x1800;
	v.end = 0x2800;
	CHECK(!procmaps__with_vma(pm, &v, oc) && errno == EEXIST, "overlapping: nothing");
	v = (struct cprof_exec_vma){ .start = 0x10000, .end = 0x20000, .ino = 123456789, .dev = 1 };
	CHECK(!procmaps__with_vma(pm, &v, oc) && errno == ENOENT, "a file no object maps");
	procmaps__free(pm);
	procmaps__free(self);
	objcache__free(oc);
}

int main(void)
{
	CHECK_SUITE("procmaps");
	RUN(pidstat_parse);
	RUN(parse_realistic);
	RUN(find_boundaries);
	RUN(parse_garbage_and_unsorted);
	RUN(load_self_libc);
	RUN(load_gone_pid);
	RUN(proctab_reload_rate_limited);
	g_fake_ns = 0; /* the real clock again, also after a REQUIRE left a test early */
	RUN(proctab_invalidate_reloads_at_once);
	g_fake_ns = 0;
	RUN(proctab_exited_recently);
	g_fake_ns = 0;
	RUN(proctab_child_exits);
	RUN(procmaps_from_exec);
	RUN(proctab_images);
	RUN(proctab_exec_gone);
	RUN(proctab_pid_reused);
	RUN(procmaps_with_vma);
	return CHECK_EXIT();
}
