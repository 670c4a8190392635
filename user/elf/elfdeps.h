/* What an executable asks the loader for before it runs: its dynamic linker (PT_INTERP)
 * and the libraries it names (DT_NEEDED), found the way the loader mostly does. The file
 * is the profiled command's: untrusted, every read bounded by libelf or by the header. */
#ifndef CPROF_ELFDEPS_H
#define CPROF_ELFDEPS_H

/* Called with each file found: the dynamic linker first (an absolute path as the file
 * names it), then each library that exists, as RUNPATH/RPATH (a single plain directory)
 * or else the system directories place it. path is at most PATH_MAX bytes with its NUL. */
typedef void (*elfdeps_fn)(const char *path, void *ctx);

/* Reads the ELF file open as fd (left open) and calls fn for its dependencies. Returns 0
 * (also for a file without any), -EINVAL for a file libelf cannot read. */
int elfdeps__each(int fd, elfdeps_fn fn, void *ctx);

#endif
