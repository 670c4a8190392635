/* The unwinder's options and figures (unwinder.h), apart so that its own files can share
 * its state (unwinder_int.h) without a cycle. */
#ifndef CPROF_UNWINDER_TYPES_H
#define CPROF_UNWINDER_TYPES_H

#include <stddef.h>

struct debuginfod;

struct unwinder_opts {
	int rows_fd;		/* BPF array of struct cprof_unwind_row */
	int pages_fd;		/* BPF array of __u64 */
	int proc_maps_fd;	/* BPF hash pid → struct cprof_proc_maps */
	int obj_tables_fd;	/* BPF hash struct cprof_obj_key → struct cprof_obj_table: the
				 * tables the exec program builds first views from; -1: none */
	size_t max_rows, max_pages;	/* the arrays' sizes */
	const char *cache_dir;	/* NULL: no disk cache */
	const char *const *debug_dirs;	/* where separate debuginfo (.debug_frame) is looked
					 * for; NULL-terminated; NULL: /usr/lib/debug */
	struct debuginfod *debuginfod;	/* a file it fetched already is used too (and one not
					 * fetched yet asked for), never waited for; NULL: none */
};

struct unwinder_stats {
	size_t objects;		/* objects with tables from their CFI */
	size_t objects_go;	/* Go objects without CFI (stripped of .debug_frame) whose
				 * tables come from .gopclntab's stack-pointer tables */
	size_t objects_without;	/* objects without either, unwound by frame pointers: no
				 * table, or one of frame-pointer rows */
	size_t objects_full;	/* objects left out because the arrays were full */
	size_t rows, pages;	/* array entries used */
	size_t dropped;		/* objects' tables dropped (unwinder__drop) */
	size_t processes;	/* processes published */
	size_t from_cache;	/* tables read from the disk cache (not compiled) */
	double build_seconds;	/* time spent building or loading tables */
	/* The disk cache (unwinder_opts.cache_dir): tables loaded from it; files rebuilt
	 * because they were corrupt, truncated or of another format version; files ignored
	 * (and rebuilt) because they were not regular files of ours; tables stored. */
	size_t cache_loaded, cache_rebuilt, cache_ignored, cache_stored;
};

#endif
