/* JIT symbol maps: /tmp/perf-PID.map, the text file Node (--perf-basic-prof), JVM agents,
 * LuaJIT and others write for code they generate into anonymous memory. One line per
 * function: "START SIZE NAME", START and SIZE in hex (START may have 0x), NAME the rest of
 * the line. A JIT that reuses memory appends a new line: the last line covering an
 * address wins. The file belongs to the profiled process: everything is bounded. */
#ifndef CPROF_PERFMAP_H
#define CPROF_PERFMAP_H

#include <stddef.h>
#include <stdint.h>

struct perfmap;

#define PERFMAP_MAX_SIZE (256u << 20)	/* bytes of file read */
#define PERFMAP_MAX_ENTRIES (1u << 22)
#define PERFMAP_MAX_NAME 4096		/* longer names are cut */

/* Parses text (malformed lines are skipped). NULL with errno ENOMEM. */
struct perfmap *perfmap__parse(const char *text, size_t len);
/* Reads the map of process pid from its own mount namespace: /proc/PID/root/tmp/
 * perf-NSPID.map, NSPID being its pid in its own pid namespace. The file must be a regular
 * file (not a symlink) owned by the process's user or root (another user's file in a
 * shared /tmp could name anything). Once the process has exited, only our own
 * /tmp/perf-PID.map can be read (the process's namespaces, pid there and user are gone
 * with it). NULL with errno: ENOENT (no map), EPERM (wrong owner), ELOOP (a symlink),
 * ENOMEM... */
struct perfmap *perfmap__load(int pid);
/* The same with /proc and our /tmp under the directory sysroot ("" for /'s): for tests. */
struct perfmap *perfmap__load_at(const char *sysroot, int pid);
void perfmap__free(struct perfmap *pm);

/* The function covering addr: its name (valid until perfmap__free) and start. Returns 0
 * or -ENOENT. */
int perfmap__find(const struct perfmap *pm, uint64_t addr, const char **name, uint64_t *start);
size_t perfmap__count(const struct perfmap *pm);

#endif
