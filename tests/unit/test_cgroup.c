/* cgroup: the /proc/PID/cgroup parser on the path shapes of systemd, Docker, containerd,
 * CRI-O, Podman and Kubernetes, on hybrid and v1 hosts, on hostile text; the container id
 * in each; and the proctab's labels over a process's life (read once, kept after a move
 * and after the exit, read anew for the next process on the pid). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "proc/cgroup.h"
#include "proc/proctab.h"

#define ID_A "3f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"
#define ID_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CGROUP2_SUPER_MAGIC 0x63677270

/* Parses text (strlen bytes) and returns the result; path gets the path. */
static int parse(const char *text, char path[CGROUP_PATH_MAX + 1])
{
	path[0] = 0;
	return cgroup__parse(text, strlen(text), path);
}

/* path's container id, or "" when it has none. */
static const char *id_of(const char *path)
{
	static char id[CGROUP_ID_LEN + 1];

	memset(id, 'X', sizeof(id));
	if (!cgroup__container_id(path, id))
		return "";
	return id;
}

TEST(v2_paths)
{
	static const struct {
		const char *text, *path, *id;
	} cases[] = {
		{ "0::/system.slice/nginx.service\n", "/system.slice/nginx.service", "" },
		{ "0::/user.slice/user-0.slice/session-3.scope\n",
		  "/user.slice/user-0.slice/session-3.scope", "" },
		{ "0::/\n", "/", "" },
		/* Docker, systemd driver; and systemd running inside the container. */
		{ "0::/system.slice/docker-" ID_A ".scope\n", "/system.slice/docker-" ID_A ".scope", ID_A },
		{ "0::/system.slice/docker-" ID_A ".scope/init.scope\n",
		  "/system.slice/docker-" ID_A ".scope/init.scope", ID_A },
		/* Docker, cgroupfs driver; Docker in Docker: the inner container. */
		{ "0::/docker/" ID_A "\n", "/docker/" ID_A, ID_A },
		{ "0::/docker/" ID_A "/docker/" ID_B "\n", "/docker/" ID_A "/docker/" ID_B, ID_B },
		/* Kubernetes with containerd and CRI-O, systemd driver. */
		{ "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8f1c2b3a_4d5e_6f70_8192_a3b4c5d6e7f8.slice/cri-containerd-" ID_A ".scope\n",
		  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8f1c2b3a_4d5e_6f70_8192_a3b4c5d6e7f8.slice/cri-containerd-" ID_A ".scope",
		  ID_A },
		{ "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-" ID_B ".scope\n",
		  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-" ID_B ".scope",
		  ID_B },
		/* Kubernetes, cgroupfs driver: the id is a component of its own, or crio-ID. */
		{ "0::/kubepods/besteffort/pod8f1c2b3a-4d5e-6f70-8192-a3b4c5d6e7f8/" ID_A "\n",
		  "/kubepods/besteffort/pod8f1c2b3a-4d5e-6f70-8192-a3b4c5d6e7f8/" ID_A, ID_A },
		{ "0::/kubepods/burstable/pod1/crio-" ID_B "\n", "/kubepods/burstable/pod1/crio-" ID_B,
		  ID_B },
		/* Podman rootless, and its conmon (outside the container: no id). */
		{ "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_A ".scope\n",
		  "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_A ".scope", ID_A },
		{ "0::/machine.slice/libpod-conmon-" ID_A ".scope\n",
		  "/machine.slice/libpod-conmon-" ID_A ".scope", "" },
		{ "0::/kubepods.slice/crio-conmon-" ID_B ".scope\n", "/kubepods.slice/crio-conmon-" ID_B ".scope",
		  "" },
		/* ECS: task, then container. */
		{ "0::/ecs/0123456789abcdef0123456789abcdef/" ID_B "\n",
		  "/ecs/0123456789abcdef0123456789abcdef/" ID_B, ID_B },
		/* A removed cgroup; no final newline; a path with ':' and spaces. */
		{ "0::/system.slice/gone.service (deleted)\n", "/system.slice/gone.service", "" },
		{ "0::/system.slice/docker-" ID_B ".scope", "/system.slice/docker-" ID_B ".scope", ID_B },
		{ "0::/a:b/c d/e\n", "/a:b/c d/e", "" },
		/* UTF-8 is kept. */
		{ "0::/caf\xc3\xa9/\xf0\x9f\x98\x80\n", "/caf\xc3\xa9/\xf0\x9f\x98\x80", "" },
	};
	char path[CGROUP_PATH_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = parse(cases[i].text, path);

		CHECK(n == (int)strlen(cases[i].path) && !strcmp(path, cases[i].path),
		      "case %zu: %d '%s', want '%s'", i, n, path, cases[i].path);
		CHECK(!strcmp(id_of(path), cases[i].id), "case %zu: id '%s', want '%s'", i,
		      id_of(path), cases[i].id);
	}
}

TEST(hybrid_and_v1)
{
	static const char hybrid[] =
		"12:pids:/system.slice/docker-" ID_B ".scope\n"
		"11:cpu,cpuacct:/system.slice/docker-" ID_B ".scope\n"
		"4:memory:/process_api/f0a6b73449f9db622c7fc06780c91892\n"
		"1:name=systemd:/system.slice/docker-" ID_A ".scope\n"
		"0::/system.slice/docker-" ID_A ".scope\n";
	static const char v1[] =
		"12:pids:/docker/" ID_A "\n"
		"1:name=systemd:/docker/" ID_A "\n";
	char path[CGROUP_PATH_MAX + 1];

	CHECK(parse(hybrid, path) > 0 && !strcmp(path, "/system.slice/docker-" ID_A ".scope"),
	      "hybrid: the 0:: line, not the v1 ones: '%s'", path);
	CHECK(parse(v1, path) == -ENOENT, "v1 only: no label");
	CHECK(parse("", path) == -ENOENT, "empty");
	CHECK(parse("0:cpu:/x\n", path) == -ENOENT, "0 with controllers is not v2");
	CHECK(parse("00::/x\n10::/y\n", path) == -ENOENT, "0 only as the whole id");
	CHECK(parse("1:name=systemd:/x\n0::/y", path) == 2 && !strcmp(path, "/y"), "last line");
}

TEST(ids_only_whole)
{
	static const char *const none[] = {
		"/system.slice/docker-abc123def456.scope",	/* short id */
		"/docker/" ID_A "0",				/* 65 digits */
		"/docker/3f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2",
		"/docker/3F1C2E0A9B8D7C6E5F4A3B2C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5B4C3D2E",
		"/docker/3f1c2e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2g",
		"/system.slice/docker-" ID_A ".scope.bak",
		"/system.slice/xdocker-" ID_A ".scope",
		"/system.slice/" ID_A ".scope",			/* no runtime names it so */
		"/system.slice/docker-" ID_A ".service",
		"/system.slice/docker-.scope",
		"/system.slice/docker-" ID_A "-1.scope",
		"/pod/" ID_A "x/y",
		"",
		"/",
		"//",
	};

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		CHECK(!*id_of(none[i]), "'%s' has no id, got '%s'", none[i], id_of(none[i]));
	CHECK(!strcmp(id_of(ID_A), ID_A), "a path that is an id alone");
	CHECK(!strcmp(id_of("/docker/" ID_A "/"), ID_A), "trailing slash");
	CHECK(!strcmp(id_of("/a/docker-" ID_B ".scope/b/c"), ID_B), "deepest with an id");
}

TEST(hostile)
{
	char path[CGROUP_PATH_MAX + 1], *big;
	size_t n;

	CHECK(parse("0::/a\n0::/b\n", path) == -EINVAL, "two 0:: lines");
	CHECK(parse("1:name=systemd:/x\n0::/fake\n0::/real\n", path) == -EINVAL,
	      "a v1 name with a newline faking a 0:: line");
	CHECK(parse("0::relative\n", path) == -EINVAL, "relative path");
	CHECK(parse("0::\n", path) == -EINVAL, "empty path");
	CHECK(parse("0:: (deleted)\n", path) == -EINVAL, "only the deleted mark");
	CHECK(parse("0::/ (deleted)\n", path) == 1 && !strcmp(path, "/"), "root deleted");
	CHECK(parse("0::/a\tb\n", path) == -EINVAL, "tab");
	CHECK(parse("0::/a\rb\n", path) == -EINVAL, "carriage return");
	CHECK(parse("0::/a\x7f\n", path) == -EINVAL, "DEL");
	CHECK(cgroup__parse("0::/a\0b\n", 8, path) == -EINVAL, "NUL inside the path");
	CHECK(parse("0::/\xff\n", path) == -EINVAL, "0xff");
	CHECK(parse("0::/\xc0\xaf\n", path) == -EINVAL, "overlong '/'");
	CHECK(parse("0::/\xe0\x80\xaf\n", path) == -EINVAL, "overlong 3 bytes");
	CHECK(parse("0::/\xed\xa0\x80\n", path) == -EINVAL, "surrogate");
	CHECK(parse("0::/\xf4\x90\x80\x80\n", path) == -EINVAL, "past U+10FFFF");
	CHECK(parse("0::/\xe2\x82\n", path) == -EINVAL, "truncated sequence");
	CHECK(parse("0::/\xe2\x82", path) == -EINVAL, "truncated at the end of the text");
	CHECK(cgroup__parse("0::/abc/def\n", 7, path) == 4 && !strcmp(path, "/abc"),
	      "len bounds the text: '%s'", path);
	CHECK(cgroup__parse("0::/abc", 2, path) == -ENOENT, "a line cut before its colons");

	/* A path of CGROUP_PATH_MAX bytes fits; one more does not. A long v1 line before
	 * the v2 one is skipped. */
	big = malloc(3 * CGROUP_PATH_MAX + 64);
	REQUIRE(big, "malloc");
	memcpy(big, "0::/", 4);
	memset(big + 4, 'a', CGROUP_PATH_MAX - 1);
	big[3 + CGROUP_PATH_MAX] = 0;
	CHECK(parse(big, path) == CGROUP_PATH_MAX && strlen(path) == CGROUP_PATH_MAX, "at the limit");
	big[3 + CGROUP_PATH_MAX] = 'a';
	big[4 + CGROUP_PATH_MAX] = 0;
	CHECK(parse(big, path) == -ENAMETOOLONG, "one past the limit");
	n = 2 * CGROUP_PATH_MAX;
	memcpy(big, "1:x:/", 5);
	memset(big + 5, 'v', n);
	strcpy(big + 5 + n, "\n0::/ok\n");
	CHECK(parse(big, path) == 3 && !strcmp(path, "/ok"), "long v1 line skipped");
	free(big);
}

/* A cgroup v2 mount we may create cgroups in, or NULL. */
static const char *cgroup2_mount(void)
{
	static const char *const where[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sf;

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (!statfs(where[i], &sf) && sf.f_type == CGROUP2_SUPER_MAGIC &&
		    !access(where[i], W_OK))
			return where[i];
	return NULL;
}

static int write_pid(const char *dir, int pid)
{
	char file[4200];
	int fd, n, err = 0;

	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	fd = open(file, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = dprintf(fd, "%d\n", pid);
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Our own cgroup v2 path now, or "" if none. */
static const char *own_path(char path[CGROUP_PATH_MAX + 1])
{
	char text[16384];
	int fd = open("/proc/self/cgroup", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text));

	if (fd >= 0)
		close(fd);
	if (n <= 0 || cgroup__parse(text, (size_t)n, path) < 0)
		path[0] = 0;
	return path;
}

/* Labels come from the file, are interned (one per path), and belong to a process: the
 * next process on the pid reads its own, the gone one's stays readable. */
TEST(proctab_labels_per_process)
{
	struct proctab *pt = proctab__new(NULL);
	const struct cgroup_label *self, *child, *again;
	char path[CGROUP_PATH_MAX + 1];
	pid_t pid;

	REQUIRE(pt, "new");
	if (!*own_path(path)) {
		proctab__free(pt);
		SKIP("no cgroup v2 line in /proc/self/cgroup");
	}
	self = proctab__cgroup(pt, getpid());
	REQUIRE(self && !strcmp(self->path, path), "own label '%s', want '%s'",
		self ? self->path : "(none)", path);
	CHECK(!proctab__cgroup(pt, 0) && !proctab__cgroup(pt, -1), "no label for pid <= 0");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (!pid) {
		pause();
		_exit(0);
	}
	child = proctab__cgroup(pt, pid);
	CHECK(child == self, "a child in the same cgroup shares the interned label");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	proctab__exit(pt, pid);
	CHECK(proctab__cgroup(pt, pid) == child, "kept in the exit's grace second");
	usleep(1100 * 1000);
	again = proctab__cgroup(pt, pid);
	CHECK(!again, "the next process on the pid reads its own (none: it is gone)");
	CHECK(!strcmp(child->path, path), "the gone process's label is still readable");
	proctab__free(pt);
}

/* A process moved to another cgroup keeps its first one; a new process on its pid (here
 * the same one after a simulated exit) reads where it is now. */
TEST(proctab_move_keeps_first)
{
	const char *mnt = cgroup2_mount();
	char dir[256], orig[CGROUP_PATH_MAX + 1], back[CGROUP_PATH_MAX + 300], want[300];
	const struct cgroup_label *first, *moved, *next;
	struct proctab *pt;

	if (!mnt)
		SKIP("no writable cgroup v2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified");
	if (!*own_path(orig))
		SKIP("no cgroup v2 line in /proc/self/cgroup");
	snprintf(dir, sizeof(dir), "%s/cprof-unit-%d", mnt, (int)getpid());
	snprintf(back, sizeof(back), "%s%s", mnt, orig);
	if (mkdir(dir, 0755))
		SKIP("cannot create %s: %s", dir, strerror(errno));
	pt = proctab__new(NULL);
	REQUIRE(pt, "new");
	first = proctab__cgroup(pt, getpid());
	if (write_pid(dir, getpid())) {
		proctab__free(pt);
		rmdir(dir);
		SKIP("cannot move into %s: %s", dir, strerror(errno));
	}
	moved = proctab__cgroup(pt, getpid());
	proctab__exit(pt, getpid());
	usleep(1100 * 1000);
	next = proctab__cgroup(pt, getpid());
	CHECK(!write_pid(back, getpid()), "move back to %s", back);
	rmdir(dir);
	snprintf(want, sizeof(want), "/cprof-unit-%d", (int)getpid());
	CHECK(first && !strcmp(first->path, orig), "first '%s'", first ? first->path : "-");
	CHECK(moved == first, "a move mid-life keeps the first cgroup");
	CHECK(next && next != first && strlen(next->path) >= strlen(want) &&
	      !strcmp(next->path + strlen(next->path) - strlen(want), want),
	      "the next process on the pid: '%s', want '...%s'", next ? next->path : "-", want);
	CHECK(!strcmp(first->path, orig), "the first label is still readable");
	proctab__free(pt);
}

int main(void)
{
	CHECK_SUITE("cgroup");
	RUN(v2_paths);
	RUN(hybrid_and_v1);
	RUN(ids_only_whole);
	RUN(hostile);
	RUN(proctab_labels_per_process);
	RUN(proctab_move_keeps_first);
	return CHECK_EXIT();
}
