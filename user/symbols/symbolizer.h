/* Address → function names, files, lines and inlined calls. User addresses through the
 * object's DWARF (its own or its separate debuginfo's, found by build id under the debug
 * dirs, by .gnu_debuglink, or fetched from debuginfod servers), symbol tables (.symtab,
 * .dynsym, MiniDebugInfo, PLT stubs), Go's .gopclntab, C++ names demangled; JIT code
 * through perf maps; kernel addresses by the kernel itself (ksymbpf.h), or through kallsyms
 * when a report names many. Per-object tables are built once. */
#ifndef CPROF_SYMBOLIZER_H
#define CPROF_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/symres.h"

struct debuginfod;
struct object;

struct symbolizer_opts {
	const char *const *debug_dirs;	/* NULL-terminated; NULL = { "/usr/lib/debug", NULL } */
	const char *kallsyms_path;	/* NULL = /proc/kallsyms */
	struct debuginfod *debuginfod;	/* where debuginfo found nowhere else is fetched, waiting
					 * for what is left of its budget; NULL: none */
	const char *cache_dir;	/* where uncompressed copies of compressed debuginfo are kept
				 * (elf/debugcache.h); NULL: none */
};

/* Why an object, a JIT map or the kernel's symbols could not be read is said with -v
 * (log_debug). */
struct symbolizer *symbolizer__new(const struct symbolizer_opts *opts);
void symbolizer__free(struct symbolizer *s);

/* Resolves an ELF virtual address of obj: names, files, lines, inlined calls as extra
 * frames. Strings stay valid until symbolizer__free. Returns 0, -ENOENT when nothing
 * covers vaddr, or -ENOMEM. */
int symbolizer__resolve(struct symbolizer *s, struct object *obj, uint64_t vaddr,
			struct sym_result *res);

/* Resolves addr in code a JIT generated into anonymous memory of process pid, through
 * the map the JIT writes (/tmp/perf-PID.map, read in the process's mount namespace on
 * first use, see perfmap.h). Returns 0 or -ENOENT. */
int symbolizer__resolve_perfmap(struct symbolizer *s, int pid, uint64_t addr,
				struct sym_result *res);

/* Keeps up to max resolved addresses across reports (with copies of their strings), for a
 * run that reports again and again. Returns 0 or -ENOMEM. */
int symbolizer__keep_results(struct symbolizer *s, size_t max);

/* Closes the DWARF of the least recently used objects until what the open ones hold is at
 * most budget bytes; they are opened again when needed. For a long run that symbolizes
 * again and again (a server): files stay small, libdw's decompressed sections do not. */
void symbolizer__trim(struct symbolizer *s, uint64_t budget);

/* Forgets obj's tables: the objcache is releasing it (objcache__sweep). Results kept for
 * it (symbolizer__keep_results) stay, by its serial. */
void symbolizer__drop(struct symbolizer *s, const struct object *obj);

/* Forgets what was read for process pid (its JIT map): it exited and is released. */
void symbolizer__forget(struct symbolizer *s, int pid);

/* Resolves a kernel address; *module is "" for vmlinux. Returns 0 or -ENOENT. */
int symbolizer__resolve_kernel(struct symbolizer *s, uint64_t addr, struct sym_result *res,
			       const char **module);

int symbolizer__object_info(struct symbolizer *s, struct object *obj, struct sym_object_info *info);

/* The DWARF of obj (its own or its separate debuginfo's, found as for symbols), open until
 * symbolizer__free; NULL when it has none. */
struct Dwarf *symbolizer__dwarf(struct symbolizer *s, const struct object *obj);

#endif
