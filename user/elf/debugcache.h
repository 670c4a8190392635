/* Uncompressed copies of separate debuginfo whose debug sections are compressed
 * (SHF_COMPRESSED, as Debian's -dbg packages ship them), kept by build id in the cache
 * directory: libdw inflates every debug section of a file when it opens it, whichever
 * addresses are asked (libc's: ~15 MB, ~45 ms of CPU), and a copy read as it is costs a
 * few milliseconds instead. A copy is made the first time, read by later runs.
 *
 * A copy is never trusted more than the file it replaces: it must be a regular file of
 * the running user that nobody else can write, an ELF file whose NT_GNU_BUILD_ID is the
 * build id it is named for, without compressed sections; one that is not is rebuilt (or,
 * not ours, left alone and not used), and counted. Copies are written under a temporary
 * name and renamed into place. The directory holds at most DEBUGCACHE_MAX_BYTES of them:
 * storing one evicts the least recently used; a file that would take over a quarter of
 * that gets no copy (libdw inflates it, as without a cache). */
#ifndef CPROF_DEBUGCACHE_H
#define CPROF_DEBUGCACHE_H

#include <stdint.h>

struct elf_file;

/* The copies' total size at most (the directory's other files not counted). */
#define DEBUGCACHE_MAX_BYTES (1ull << 30)

struct debugcache_stats {
	unsigned long read;	/* copies used */
	unsigned long stored;	/* copies made */
	unsigned long rebuilt;	/* copies found unusable (torn, another file) and made again */
	unsigned long ignored;	/* copies not ours, or writable by others: not used */
	unsigned long evicted;	/* copies removed to stay under DEBUGCACHE_MAX_BYTES */
};

/* src: a separate debuginfo file (opened from a file, not memory) with build id bid
 * (lowercase hex). When it has compressed debug sections and dir is not NULL, opens the
 * uncompressed copy of it in dir into out (making it first if there is none, or none that
 * can be used) and returns 0; src is left as it is. -ENOENT when there is nothing to gain
 * (nothing compressed) or no copy can be had (said with -v); -ENOMEM. */
int debugcache__open(const char *dir, const char *bid, const struct elf_file *src,
		     struct elf_file *out);

/* For tests: the copies' total size at most, instead of DEBUGCACHE_MAX_BYTES. */
void debugcache__set_max_bytes(uint64_t bytes);

/* What the calls in this process did. */
void debugcache__stats(struct debugcache_stats *out);

#endif
