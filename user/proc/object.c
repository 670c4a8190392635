/* The object cache: mapped files opened once, by (device, inode), and the vDSO copied from
 * our own process. The ELF parsing is in object_elf.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proc/mapsfile.h"
#include "proc/object.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/util.h"
#include "util/vec.h"

struct objcache {
	struct hashmap objs;	/* of struct object *, by (dev, inode) */
	struct object *vdso;
	uint64_t serial;	/* the last object's */
	size_t released;	/* by objcache__sweep */
};

struct file_key {
	uint64_t dev, inode;
};

static uint64_t file_hash(uint64_t dev, uint64_t inode)
{
	return hash__add(hash__u64(dev), inode);
}

static bool object_eq(const void *ctx, const void *key, const void *entry)
{
	const struct file_key *k = key;
	const struct object *obj = *(struct object *const *)entry;

	(void)ctx;
	return obj->dev == k->dev && obj->inode == k->inode;
}

static void object__free(struct object *obj)
{
	if (!obj)
		return;
	if (obj->fd >= 0)
		close(obj->fd);
	if (obj->debuglink_path)
		close(obj->debuglink_fd);
	free(obj->debuglink_path);
	free(obj->path);
	free(obj->host_path);
	free(obj->vdso_image);
	free(obj);
}

struct objcache *objcache__new(void)
{
	struct objcache *oc = calloc(1, sizeof(*oc));

	if (oc)
		oc->objs = (struct hashmap)HASHMAP_INIT(struct object *);
	return oc;
}

void objcache__free(struct objcache *oc)
{
	struct object **obj;
	size_t it = 0;

	if (!oc)
		return;
	while ((obj = hashmap__next(&oc->objs, &it)))
		object__free(*obj);
	object__free(oc->vdso);
	hashmap__free(&oc->objs);
	free(oc);
}

size_t objcache__count(const struct objcache *oc)
{
	return hashmap__count(&oc->objs) + (oc->vdso ? 1 : 0);
}

size_t objcache__released(const struct objcache *oc)
{
	return oc->released;
}

void object__hold(struct object *obj)
{
	obj->holds++;
	obj->held = true;
}

void object__unhold(struct object *obj)
{
	if (obj->holds)
		obj->holds--;
}

static int cmp_idle(const void *a, const void *b)
{
	const struct object *x = *(struct object *const *)a, *y = *(struct object *const *)b;

	return CMP3(x->idle_since, y->idle_since);
}

size_t objcache__sweep(struct objcache *oc, double idle_secs, size_t idle_max,
		       int (*forget)(void *ctx, struct object *obj), void *ctx)
{
	double now = clock__secs(CLOCK_MONOTONIC);
	struct object **slot, **idle = NULL;
	size_t it = 0, n = 0, cap = 0, done = 0;

	/* Removal moves entries: collect first. */
	while ((slot = hashmap__next(&oc->objs, &it))) {
		struct object *obj = *slot;

		if (obj->holds || !obj->held) {
			obj->idle_since = 0;
			continue;
		}
		if (!obj->idle_since)
			obj->idle_since = now;
		if (VEC_PUSH(idle, n, cap, obj))
			break;
	}
	if (n > 1)
		qsort(idle, n, sizeof(*idle), cmp_idle);
	/* Oldest first: all those idle too long, then as many as exceed idle_max. */
	for (size_t i = 0; i < n; i++) {
		struct object *obj = idle[i];
		struct file_key key = { .dev = obj->dev, .inode = obj->inode };

		if (now - obj->idle_since < idle_secs && n - i <= idle_max)
			break;
		if (forget(ctx, obj))
			continue;
		slot = hashmap__find(&oc->objs, file_hash(key.dev, key.inode), &key, object_eq,
				     NULL);
		if (slot)
			hashmap__remove(&oc->objs, slot);
		object__free(obj);
		done++;
	}
	free(idle);
	oc->released += done;
	return done;
}

/* Opens for reading the file an O_PATH fd names, if it is a regular file of the expected
 * inode (0: any): opening a FIFO would block and opening a device can have side effects. */
static int open_regular(int path_fd, uint64_t inode, struct stat *st)
{
	char p[64];
	int fd;

	if (fstat(path_fd, st))
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -ENOTSUP;
	if (inode && st->st_ino != inode)
		return -ESTALE;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", path_fd);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The root directory of pid's process, O_PATH; pid 0: ours. -errno if it is gone. */
static int open_root(int pid)
{
	char p[32];
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/root", pid);
	fd = open(pid > 0 ? p : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* map_files gives the very file the process maps, even unlinked or replaced since, and
 * works across mount namespaces. The root path is a fallback for when the mapping is gone:
 * resolved inside the target's root (its symlinks must not reach our files), and only
 * taken if it is still the inode the process mapped, or a binary replaced at the same path
 * would be misread. (Only the inode: overlayfs and btrfs report another st_dev than the
 * maps line.) pid 0: a process gone before its files could be opened, whose root was ours:
 * the path in our root, on the same terms. Returns an fd, -ENOTSUP for a non-regular file,
 * or -errno. */
static int open_mapped(int pid, uint64_t start, uint64_t end, const char *file,
		       uint64_t inode, struct stat *st)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int pfd = -1, root = -1, err;
	char p[96];

	snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)start,
		 (unsigned long long)end);
	if (pid > 0)
		pfd = open(p, O_PATH | O_CLOEXEC);
	if (pfd >= 0) {
		err = open_regular(pfd, 0, st);
		goto out;
	}
	root = open_root(pid);
	if (root < 0)
		return root;
	pfd = (int)syscall(SYS_openat2, root, file, &how, sizeof(how));
	err = pfd < 0 ? -errno : open_regular(pfd, inode, st);
out:
	if (pfd >= 0)
		close(pfd);
	if (root >= 0)
		close(root);
	return err;
}

/* Opens the file .gnu_debuglink names, next to the object or in its .debug/, inside the
 * process's root (as open_mapped), while the process lives: found later, it would be
 * gone with the process. Only regular files; nothing is read yet. */
static void open_debuglink(struct object *obj, int pid)
{
	static const char *const fmts[] = { "%.*s/%s", "%.*s/.debug/%s" };
	struct open_how how = { .flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	const char *slash = strrchr(obj->path, '/');
	char p[PATH_MAX];
	struct stat st;
	size_t i;
	int root, fd;

	if (!obj->debuglink[0] || !slash)
		return;
	root = open_root(pid);
	if (root < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(fmts) && !obj->debuglink_path; i++) {
		if (snprintf(p, sizeof(p), fmts[i], (int)(slash - obj->path), obj->path,
			     obj->debuglink) >= (int)sizeof(p))
			continue;
		fd = (int)syscall(SYS_openat2, root, p, &how, sizeof(how));
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (obj->debuglink_path = strdup(p)))
			obj->debuglink_fd = fd;
		else
			close(fd);
	}
	close(root);
}

static struct object *object__open(int pid, uint64_t start, uint64_t end, const char *path,
				   uint64_t dev, uint64_t inode)
{
	struct object *obj = NULL;
	struct stat st;
	int err;

	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return NULL;
	obj->fd = -1;
	obj->dev = dev;
	obj->inode = inode;
	obj->path = strndup(path, mapsfile__undeleted_len(path, strlen(path)));
	if (obj->path && pid > 0 && asprintf(&obj->host_path, "/proc/%d/root%s", pid, obj->path) < 0)
		obj->host_path = NULL;
	else if (obj->path && pid <= 0)
		obj->host_path = strdup(obj->path);
	if (!obj->path || !obj->host_path) {
		err = -ENOMEM;
		goto err_out;
	}
	err = open_mapped(pid, start, end, obj->path, inode, &st);
	if (err == -ENOTSUP)
		return obj; /* a device or the like: kept, with no fd, as a non-ELF object */
	if (err < 0)
		goto err_out;
	obj->fd = err;
	err = object__parse_fd(obj, obj->fd);
	if (err == -ENOMEM)
		goto err_out;
	open_debuglink(obj, pid);
	return obj;
err_out:
	object__free(obj);
	errno = -err;
	return NULL;
}

/* The vDSO is one image per kernel (per ABI): we copy ours instead of reading the target's
 * memory. A target mapping of another size is another ABI's vDSO (ia32, x32): none then. */
static struct object *vdso_get(struct objcache *oc, uint64_t start, uint64_t end)
{
	struct object *obj = NULL;
	uintptr_t base;
	size_t size = 0;
	int err;

	if (!oc->vdso) {
		err = mapsfile__own_vdso(&base, &size);
		if (err)
			goto err_out;
		err = -ENOMEM;
		obj = calloc(1, sizeof(*obj));
		if (!obj)
			goto err_out;
		obj->fd = -1;
		obj->is_vdso = true;
		obj->path = strdup("[vdso]");
		obj->host_path = strdup("");
		obj->vdso_image = malloc(size);
		if (!obj->path || !obj->host_path || !obj->vdso_image)
			goto err_out;
		memcpy(obj->vdso_image, (const void *)base, size);
		obj->vdso_size = size;
		object__parse_elf(obj, obj->vdso_image, size);
		obj->serial = ++oc->serial;
		oc->vdso = obj;
		obj = NULL;
	}
	err = -ENOENT;
	if (start && end && end - start != oc->vdso->vdso_size)
		goto err_out;
	return oc->vdso;
err_out:
	object__free(obj);
	errno = -err;
	return NULL;
}

struct object *objcache__find(const struct objcache *oc, uint64_t dev, uint64_t inode)
{
	struct file_key key = { .dev = dev, .inode = inode };
	struct object **slot = hashmap__find(&oc->objs, file_hash(dev, inode), &key, object_eq,
					     NULL);

	return slot ? *slot : NULL;
}

/* objcache__get; pid 0: in our own root (objcache__get_host). */
static struct object *get(struct objcache *oc, int pid, uint64_t start, uint64_t end,
			  const char *path, uint64_t dev, uint64_t inode)
{
	struct file_key key = { .dev = dev, .inode = inode };
	uint64_t hash = file_hash(dev, inode);
	struct object **slot, *obj;
	bool added;

	if (path && strcmp(path, "[vdso]") == 0)
		return vdso_get(oc, start, end);
	if (!path || path[0] != '/' || inode == 0 || pid < 0) {
		errno = ENOENT;
		return NULL;
	}
	obj = objcache__find(oc, dev, inode);
	if (obj)
		return obj;
	/* A file that cannot be opened is not remembered: the next mapping of it retries. */
	obj = object__open(pid, start, end, path, dev, inode);
	if (!obj)
		return NULL;
	slot = hashmap__insert(&oc->objs, hash, &key, object_eq, NULL, &added);
	if (!slot) {
		object__free(obj);
		errno = ENOMEM;
		return NULL;
	}
	obj->serial = ++oc->serial;
	*slot = obj;
	return obj;
}

struct object *objcache__get(struct objcache *oc, int pid, uint64_t start, uint64_t end,
			     const char *path, uint64_t dev, uint64_t inode)
{
	return get(oc, pid > 0 ? pid : -1, start, end, path, dev, inode);
}

struct object *objcache__get_host(struct objcache *oc, const char *path, uint64_t dev,
				  uint64_t inode)
{
	return get(oc, 0, 0, 0, path, dev, inode);
}
