/* JIT maps (perf-PID.map): the parser on hand-written maps, and the symbolizer reading the
 * map of a live child process, also from a private /tmp in its own mount namespace. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "symbols/perfmap.h"
#include "symbols/symbolizer.h"

static const char *find(const struct perfmap *pm, uint64_t addr)
{
	const char *name;
	uint64_t start;

	return perfmap__find(pm, addr, &name, &start) ? NULL : name;
}

static bool is(const char *got, const char *want)
{
	return got && want ? !strcmp(got, want) : got == want;
}

TEST(test_parse)
{
	static const char text[] =
		"7f0000001000 40 LazyCompile:~add /app/x.js:3\n"
		"0x7f0000002000 0x20 Function:spaces in  name \r\n"
		"7f0000003000 10\n"			/* no name */
		"7f0000004000 0 zero_size\n"
		"zzzz 10 not_hex\n"
		"ffffffffffffff00 200 wraps\n"
		"7f0000005000 10 first\n"
		"7f0000005000 10 second\n"		/* same place, later: wins */
		"7f0000006000 100000 big\n"		/* covers the next ones... */
		"7f0000007000 10 small_inside\n"	/* ...which are later: win */
		"12345678901234567 10 too_long\n"
		"7f0000009000\t8\ttabs";		/* no final newline */
	struct perfmap *pm = perfmap__parse(text, sizeof(text) - 1);
	const char *name;
	uint64_t start = 0;

	REQUIRE(pm, "parse");
	CHECK(perfmap__count(pm) == 7, "%zu entries, want 7", perfmap__count(pm));
	CHECK(is(find(pm, 0x7f0000001000), "LazyCompile:~add /app/x.js:3"), "first byte");
	CHECK(is(find(pm, 0x7f000000103f), "LazyCompile:~add /app/x.js:3"), "last byte");
	CHECK(is(find(pm, 0x7f0000001040), NULL), "past the end");
	CHECK(is(find(pm, 0x7f0000000fff), NULL), "before");
	CHECK(is(find(pm, 0x7f0000002010), "Function:spaces in  name"), "0x, spaces, CR: %s",
	      find(pm, 0x7f0000002010));
	CHECK(is(find(pm, 0x7f0000003000), NULL), "no name");
	CHECK(is(find(pm, 0x7f0000005008), "second"), "later line wins");
	CHECK(is(find(pm, 0x7f0000007008), "small_inside"), "inside a big entry");
	CHECK(is(find(pm, 0x7f0000008000), "big"), "big entry around");
	CHECK(is(find(pm, 0x7f0000009004), "tabs"), "tabs, no newline");
	CHECK(perfmap__find(pm, 0x7f0000006010, &name, &start) == 0 && start == 0x7f0000006000,
	      "start 0x%llx", (unsigned long long)start);
	perfmap__free(pm);
	pm = perfmap__parse("", 0);
	CHECK(pm && perfmap__count(pm) == 0 && !find(pm, 0), "empty map");
	perfmap__free(pm);
	perfmap__free(NULL);
}

/* Many overlapping lines: lookups stay bounded and answer the latest covering line. */
TEST(test_overlaps)
{
	size_t n = 20000, len = 0, i;
	char *text = malloc(n * 48);
	struct perfmap *pm;

	REQUIRE(text, "malloc");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%zx %zx f%zu\n", 0x1000 + i, n * 2 - i, i);
	pm = perfmap__parse(text, len);
	REQUIRE(pm, "parse");
	CHECK(is(find(pm, 0x1000 + n - 1), "f19999"), "latest: %s", find(pm, 0x1000 + n - 1));
	perfmap__free(pm);
	free(text);
}

/* A child that writes its map (in a private /tmp when private; when link, into a file
 * beside it that the map is a symlink to) and waits to be killed. */
static pid_t spawn_jit(bool private_tmp, uid_t owner, bool link, int *ready)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		char path[64], real[80];
		FILE *f;

		close(fds[0]);
		if (private_tmp && (unshare(CLONE_NEWNS) ||
				    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
				    mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m")))
			_exit(3);
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
		snprintf(real, sizeof(real), "%s.real", path);
		f = fopen(link ? real : path, "w");
		if (!f || (link && symlink(real, path)))
			_exit(4);
		fprintf(f, "7f00dead0000 100 jit_fn_%s\n", private_tmp ? "private" : "shared");
		fclose(f);
		if (owner && chown(path, owner, owner))
			_exit(5);
		if (write(fds[1], "x", 1) != 1)
			_exit(6);
		pause();
		_exit(0);
	}
	close(fds[1]);
	*ready = fds[0];
	return pid;
}

static void reap(pid_t pid, bool private_tmp)
{
	char path[80];

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (!private_tmp) {
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", pid);
		unlink(path);
		snprintf(path, sizeof(path), "/tmp/perf-%d.map.real", pid);
		unlink(path);
	}
}

/* Returns what the symbolizer names 0x7f00dead0080 in the child, NULL if nothing. */
static const char *child_name(bool private_tmp, uid_t owner, bool link, char *buf,
			      size_t size)
{
	struct symbolizer *s = symbolizer__new(NULL);
	struct sym_result r;
	const char *out = NULL;
	int ready = -1;
	char c;
	pid_t pid = spawn_jit(private_tmp, owner, link, &ready);

	if (pid > 0 && read(ready, &c, 1) == 1 && s &&
	    !symbolizer__resolve_perfmap(s, pid, 0x7f00dead0080, &r) && r.n == 1) {
		snprintf(buf, size, "%s", r.frames[0].name);
		out = buf;
		CHECK(r.sym_start == 0x7f00dead0000, "start");
		CHECK(symbolizer__resolve_perfmap(s, pid, 0x7f00dead0100, &r) == -ENOENT, "end");
	}
	if (ready >= 0)
		close(ready);
	if (pid > 0)
		reap(pid, private_tmp);
	symbolizer__free(s);
	return out;
}

TEST(test_live_process)
{
	char buf[128];

	CHECK(is(child_name(false, 0, false, buf, sizeof(buf)), "jit_fn_shared"),
	      "shared /tmp: %s", child_name(false, 0, false, buf, sizeof(buf)));
}

TEST(test_mount_namespace)
{
	char buf[128];

	if (geteuid())
		SKIP("a private /tmp needs root");
	CHECK(is(child_name(true, 0, false, buf, sizeof(buf)), "jit_fn_private"),
	      "map in the child's own /tmp not read");
}

/* A map owned by another user than the process's is not trusted. */
TEST(test_foreign_owner)
{
	char buf[128];

	if (geteuid())
		SKIP("chown needs root");
	CHECK(!child_name(false, 4242, false, buf, sizeof(buf)), "another user's map was used: %s",
	      buf);
}

/* A map that is a symlink is not read, even to a file of the right owner: the owner checked
 * would be the target's, and anyone can point at a root-owned file. */
TEST(test_symlink)
{
	char buf[128];

	CHECK(!child_name(false, 0, true, buf, sizeof(buf)), "a symlinked map was used: %s", buf);
}

int main(void)
{
	CHECK_SUITE("perfmap");
	RUN(test_parse);
	RUN(test_overlaps);
	RUN(test_live_process);
	RUN(test_mount_namespace);
	RUN(test_foreign_owner);
	RUN(test_symlink);
	return CHECK_EXIT();
}
