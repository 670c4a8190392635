/* /proc/PID/maps of profiled processes: captured at first sight, refreshed on exec and on
 * addresses outside every known mapping. */
#ifndef CPROF_PROCMAPS_H
#define CPROF_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/mapsfile.h"	/* PM_R, PM_W, PM_X */

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

#endif
