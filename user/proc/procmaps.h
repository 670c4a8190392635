/* /proc/PID/maps of profiled processes: captured at first sight, refreshed on exec and on
 * addresses outside every known mapping. */
#ifndef CPROF_PROCMAPS_H
#define CPROF_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/mapsfile.h"	/* PM_R, PM_W, PM_X */

struct cprof_exec_info;
struct cprof_exec_vma;
struct objcache;
struct object;

struct procmaps_entry {
	uint64_t start, end, offset;
	uint64_t dev;		/* makedev(major, minor) */
	uint64_t inode;
	uint32_t prot;		/* PM_R | PM_W | PM_X */
	const char *path;	/* pathname column; "" when anonymous; owned by the procmaps */
	bool deleted;		/* path ends with " (deleted)": the file was unlinked */
	struct object *obj;	/* executable file-backed (or [vdso]) mappings: the object; else NULL */
};

struct procmaps;

/* Parses maps text (untrusted, bounded; lines that do not parse are skipped). Entries are
 * kept sorted by start. No objects are opened. Returns NULL with errno set on ENOMEM. */
struct procmaps *procmaps__parse(const char *text, size_t len);

/* Reads /proc/PID/maps and opens the objects of its executable mappings through oc (none
 * if oc is NULL). Returns NULL with errno set (ESRCH when the process is gone). */
struct procmaps *procmaps__load(int pid, struct objcache *oc);

/* Another reference to pm, which procmaps__free then releases: a snapshot shared by the
 * records of two processes (a child's taken before its exec show its parent's image), or
 * kept by the unwinder until it can publish it whole. */
struct procmaps *procmaps__ref(const struct procmaps *pm);
/* Releases a reference; the last one frees pm. */
void procmaps__free(struct procmaps *pm);

/* The entry containing addr, or NULL. O(log n). */
const struct procmaps_entry *procmaps__find(const struct procmaps *pm, uint64_t addr);
size_t procmaps__count(const struct procmaps *pm);
const struct procmaps_entry *procmaps__entry(const struct procmaps *pm, size_t i);

/* Opens the objects of pm's executable mappings through oc (those that cannot be opened
 * stay NULL: their frames show as module+offset). */
void procmaps__attach_objects(struct procmaps *pm, int pid, struct objcache *oc);

/* Whether pm was parsed from exactly this maps text. */
bool procmaps__same_text(const struct procmaps *pm, const char *text, size_t len);

/* The image pm shows (cprof_sample.image), as its reader found out; 0: not known. */
uint64_t procmaps__image(const struct procmaps *pm);
void procmaps__set_image(struct procmaps *pm, uint64_t image);

/* A copy of pm with the executable mapping v (untrusted: what a BPF program read of an
 * area of the process) added, for a process that can no longer be read: its object the
 * one oc has open for its file already (none: NULL, errno ENOENT, as there would be no
 * tables or symbols for it), or v overlapping one of pm's entries (EEXIST). NULL with
 * errno set otherwise (ENOMEM). */
struct procmaps *procmaps__with_vma(const struct procmaps *pm, const struct cprof_exec_vma *v,
				    const struct objcache *oc);

/* The executable mappings an exec record describes (xi, untrusted: bounded), as a snapshot
 * of the new image: for a process gone before its maps could be read. Their objects are
 * those oc has open for their files already, else, for the executable, xi's path opened
 * in our own root if host_root (the process's root was ours) and it is still that file;
 * none without oc. Returns NULL with errno set on ENOMEM. */
struct procmaps *procmaps__from_exec(const struct cprof_exec_info *xi, struct objcache *oc,
				     bool host_root);

#endif
