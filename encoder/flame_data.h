/* flame.html's data before it is written: the strings and functions of the page, and per
 * profile the trie of its stacks and its samples summed per (node, process, thread).
 * Internal to flame.c (the writer) and flame_data.c (the builder). */
#ifndef CPROF_FLAME_DATA_H
#define CPROF_FLAME_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "flame.h"
#include "util/hashmap.h"

/* What the whole page shares: strings and functions, each named once. */
struct fl_doc {
	struct hashmap str_tab;		/* entries uint32_t: index into strs */
	struct { const char **v; size_t n, cap; } strs;	/* borrowed from the models */
	struct hashmap func_tab;	/* key3 (name, file, module) */
	struct { uint32_t *v; size_t n, cap; } funcs;	/* triples */
};

/* Samples summed per (node, process, thread), n_types values a row. */
struct fl_agg {
	struct hashmap tab;		/* key3 → row */
	struct { uint32_t *v; size_t n, cap; } keys;	/* triples, one per row */
	struct { int64_t *v; size_t n, cap; } vals;
};

/* One profile of the page being built. */
struct fl_prof {
	struct fl_doc *doc;
	size_t n_types;
	struct hashmap fk_tab;		/* key3 (func, kind, 0) → index in fks */
	struct { uint32_t *v; size_t n, cap; } fks;	/* (func, kind) pairs */
	struct { uint32_t *v; size_t n, cap; } nodes;	/* (parent, func, kind) triples */
	struct hashmap name_tab;	/* key3 (string, is_thread, 0): process or thread */
	struct { uint32_t *v; size_t n, cap; } procs, threads;	/* string indices */
	struct fl_agg cur, base;
};

/* Strings 0 and function 0 are "" and the root's. Returns 0 or -ENOMEM. */
int flame_doc__init(struct fl_doc *d);
void flame_doc__free(struct fl_doc *d);
/* The page's index of s (NULL is ""), adding it when new. Returns 0 or -ENOMEM. */
int flame_doc__str(struct fl_doc *d, const char *s, uint32_t *idx);

/* Builds the trie and the sums of one input (its base too), naming strings and functions in
 * d. Returns 0, -ENOMEM, or -EINVAL for a model whose indices are out of range. p is to be
 * freed with flame_prof__free whatever the result. */
int flame_prof__build(struct fl_prof *p, struct fl_doc *d, const struct flame_input *in);
void flame_prof__free(struct fl_prof *p);

#endif
