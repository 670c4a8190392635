/* The text of /proc/PID/maps, below both procmaps (which keeps parsed snapshots) and the
 * object cache (which needs the extent of our own vDSO): reading it, parsing one line, the
 * " (deleted)" mark. The text is untrusted: parsing is bounded. */
#ifndef CPROF_MAPSFILE_H
#define CPROF_MAPSFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PM_R 1u
#define PM_W 2u
#define PM_X 4u

struct maps_line {
	uint64_t start, end, offset;
	uint64_t dev;		/* makedev(major, minor) */
	uint64_t inode;
	uint32_t prot;		/* PM_R | PM_W | PM_X */
	const char *path;	/* the pathname column to the end of the line, not terminated */
	size_t path_len;	/* 0 when anonymous */
};

/* Reads /proc/PID/maps whole into a malloc'ed *text. Returns 0, -ESRCH (no such process)
 * or -errno. */
int mapsfile__read(int pid, char **text, size_t *len);

/* Parses the line [s, end) (without its newline): "start-end perms offset major:minor
 * inode   path", the path optional and taken as is (it may contain spaces). Returns false
 * for a malformed line. */
bool mapsfile__parse_line(const char *s, const char *end, struct maps_line *l);

/* The length of path without the " (deleted)" the kernel appends to unlinked files
 * (len itself when it has none). */
size_t mapsfile__undeleted_len(const char *path, size_t len);

/* Our own [vdso] mapping: its start (AT_SYSINFO_EHDR) and, from our maps, its size (the
 * ELF image does not say how much of the mapping it spans). Returns 0, -ENOENT or
 * -errno. */
int mapsfile__own_vdso(uintptr_t *base, size_t *size);

#endif
