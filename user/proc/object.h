/* Mapped files of profiled processes, opened once and shared by every process that maps
 * them (keyed by device and inode). The file stays open while a snapshot of a process's
 * maps shows it, so a process that exits or a binary that is replaced still symbolizes;
 * once none does (its processes released: retain.h), objcache__sweep closes it. Fields
 * are read-only outside object.c. Everything read from the file is untrusted. */
#ifndef CPROF_OBJECT_H
#define CPROF_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OBJECT_MAX_LOADS 16

struct object_load {
	uint64_t vaddr, memsz;	/* p_vaddr, p_memsz */
	uint64_t offset, filesz; /* p_offset, p_filesz */
	uint32_t flags;		/* p_flags (PF_X ...) */
};

struct object {
	int fd;			/* read-only fd of the ELF file; -1 for pseudo objects */
	char *path;		/* the path the target sees ("/usr/lib/x86_64-linux-gnu/libc.so.6") */
	char *host_path;	/* a path we can open for siblings, e.g. "/proc/42/root/usr/lib/..." */
	uint64_t dev, inode;
	char build_id[41];	/* lowercase hex of up to 20 bytes of NT_GNU_BUILD_ID, "" if none */
	bool is_elf;		/* ELF header and program headers parsed */
	bool is_vdso;		/* the kernel's vDSO (image copied from our own process) */
	uint16_t e_type;	/* ET_EXEC, ET_DYN */
	size_t n_loads;
	struct object_load loads[OBJECT_MAX_LOADS];
	void *vdso_image;	/* is_vdso: malloc'ed copy of the image */
	size_t vdso_size;
	char debuglink[256];	/* .gnu_debuglink's file name (no directory), "" if none */
	uint32_t debuglink_crc;	/* the CRC-32 it records */
	/* The file debuglink names, opened at first sight next to the object or in its
	 * .debug/ within the process's root (see objcache__get); debuglink_fd is valid only
	 * when debuglink_path, the path as the process sees it, is set. */
	char *debuglink_path;
	int debuglink_fd;
	uint64_t serial;	/* unique in the run, never reused: a key that may outlive the
				 * object (symbolization results are kept by it) */
	unsigned int holds;	/* snapshots' entries that show it (object__hold) */
	bool held;		/* it had one: sweeping it once it has none is safe */
	double idle_since;	/* monotonic seconds when a sweep first saw it shown by
				 * none; 0: shown */
};

struct objcache;

struct objcache *objcache__new(void);
/* After every snapshot that holds its objects (procmaps__free). */
void objcache__free(struct objcache *oc);

/* The object mapped by pid at [start, end) with pathname path (dev/inode from the maps
 * line). Opens /proc/pid/map_files/START-END, else /proc/pid/root/PATH; reads the ELF
 * header, program headers, build id and .gnu_debuglink, and opens the debug file that
 * names if it lies next to the object (so that it is found after the process is gone).
 * Returns NULL with errno set when the file cannot be opened (the caller shows such
 * frames as module+offset). "[vdso]" gives the vDSO. */
struct object *objcache__get(struct objcache *oc, int pid, uint64_t start, uint64_t end,
			     const char *path, uint64_t dev, uint64_t inode);

/* The object already open for (dev, inode), or NULL: nothing is opened. */
struct object *objcache__find(const struct objcache *oc, uint64_t dev, uint64_t inode);

/* As objcache__get, for the file of a process gone before it could be opened through the
 * process, whose root was ours: path (absolute) in our own root, taken only if it is still
 * that inode. */
struct object *objcache__get_host(struct objcache *oc, const char *path, uint64_t dev,
				  uint64_t inode);

/* Number of objects open, and of objects released by objcache__sweep (for the summary and
 * tests). */
size_t objcache__count(const struct objcache *oc);
size_t objcache__released(const struct objcache *oc);

/* A snapshot's entry shows obj (procmaps.c), or no longer does. */
void object__hold(struct object *obj);
void object__unhold(struct object *obj);

/* Releases (closes and frees) objects that some snapshot showed and none shows any more:
 * those idle (shown by none) for idle_secs or more, and the longest idle beyond the
 * idle_max most recent (a program that runs again soon finds its object, and its unwind
 * table, still there). Each goes once forget(ctx, obj) returns 0: the caller drops there
 * whatever it keeps of obj (tables, pointers); a non-zero return keeps obj for a later
 * sweep (its table being built, say). Objects never held (opened by a lookup that keeps
 * no snapshot) stay for the run. Returns how many were released. */
size_t objcache__sweep(struct objcache *oc, double idle_secs, size_t idle_max,
		       int (*forget)(void *ctx, struct object *obj), void *ctx);

/* Translates a file offset (mapping offset + (addr - mapping start)) to the ELF virtual
 * address through the PT_LOAD that contains it. Returns 0 or -ENOENT. */
int object__file_offset_to_vaddr(const struct object *obj, uint64_t file_offset, uint64_t *vaddr);

/* Parses an ELF image in memory (header, program headers, build id note,
 * .gnu_debuglink); bounded, for untrusted data and fuzzing. Fills the ELF fields of obj.
 * Returns 0 or -EINVAL. */
int object__parse_elf(struct object *obj, const void *buf, size_t len);

/* The same for the file open at fd (read with pread, never past its size): e.g. to check
 * the build id of a separate debug file. Returns 0, -EINVAL, or -errno of fstat/pread. */
int object__parse_fd(struct object *obj, int fd);

#endif
