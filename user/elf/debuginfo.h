/* Where an object's debug information lives when it is not in the object: separate
 * debuginfo files found by build id or .gnu_debuglink, and MiniDebugInfo (an
 * xz-compressed symbol table inside the object, .gnu_debugdata). */
#ifndef CPROF_DEBUGINFO_H
#define CPROF_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>

struct debuginfod;
struct elf_file;
struct object;

/* Why a candidate was rejected is logged with log_debug. */
struct debuginfo_search {
	const char *const *dirs;	/* NULL-terminated */
	struct debuginfod *fetch;	/* NULL: nothing is fetched */
	bool fetch_wait;	/* wait for what is left of the fetch's budget, else take only
				 * a file fetched already (and ask for it) */
	const char *cache_dir;	/* where uncompressed copies of compressed DWARF are kept
				 * (debugcache.h); NULL: none, libdw inflates it each run */
};

/* Opens obj's separate debuginfo into dbg and its path into path[PATH_MAX]. Looks, in
 * order, in each dir for DIR/.build-id/xx/rest.debug, DIR/BUILDID/BASENAME and
 * DIR/PATH/BUILDID (pprof's and perf's layouts), all checked against obj's build id; then
 * for .gnu_debuglink's name next to the object, in its .debug/ and under each dir
 * followed by the object's directory, checked against the link's CRC; then, with fetch,
 * for the file debuginfod servers have for the build id, checked against it. A candidate
 * must be another file than own, with a .symtab or DWARF. Returns 0 or -ENOENT. */
int debuginfo__find(const struct debuginfo_search *ds, const struct object *obj,
		    const struct elf_file *own, struct elf_file *dbg, char *path);

#endif
