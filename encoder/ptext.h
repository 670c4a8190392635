/* Text views of a profile (struct pmodel): the flat/cum table (`report --top`, the live view),
 * a call tree (`--tree`), folded stacks (`--folded`, for flamegraph.pl, inferno, speedscope),
 * each optionally as a difference against a base profile. Figures equal go tool pprof's:
 * flat is the value of samples whose leaf is the row, cum the value of samples with the row
 * anywhere in their stack, counted once per sample however often it recurses. */
#ifndef CPROF_PTEXT_H
#define CPROF_PTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pmodel.h"

enum ptext_sort { PTEXT_SORT_FLAT, PTEXT_SORT_CUM };

struct ptext_opts {
	int type;			/* sample type index (pmodel__type_index) */
	bool by_line;			/* rows per function and line (pprof -lines), else per function */
	enum ptext_sort sort;
	const struct pm_filter *filter;	/* NULL: every sample */
	/* A base profile: every value is this profile's minus the base's (pprof -base). Matched by
	 * function name, file, module (and line with by_line), so two runs of one program diff. */
	const struct pmodel *base;
	size_t base_type;		/* the base's sample type of the same name */
	/* Set ptext_row.inlined, pprof's "(inline)" marks: a table of caller edges, which costs
	 * about as much again as the table itself (print_top sets it). */
	bool inline_marks;
};

struct ptext_row {
	const char *name;	/* function name */
	const char *file;	/* source file, "" if unknown */
	uint32_t line;		/* with by_line, else 0 */
	const char *module;
	uint8_t kind;		/* enum pm_kind of the row's first frame seen */
	uint8_t inlined;	/* how callers reach it: 0 calls only, 1 only inlined into them,
				 * 2 both (pprof's "(inline)" and "(partial-inline)") */
	int64_t flat, cum;
};

struct ptext_table {
	struct ptext_row *rows;	/* sorted by the opts' sort, ties by name */
	size_t n_rows;
	int64_t total;		/* sum of the filtered samples' values (pprof's total) */
};

/* Builds the table. Returns 0 or -ENOMEM; free with ptext__table_free. Strings point into the
 * models, which must outlive the table. */
int ptext__table(const struct pmodel *pm, const struct ptext_opts *o, struct ptext_table *t);
void ptext__table_free(struct ptext_table *t);

/* Prints pprof -top's layout: a header (type, total, "Showing top N"), then rows
 * "flat flat% sum% cum cum% name". n = 0 prints all. Returns 0 or -errno. */
int ptext__print_top(FILE *f, const struct pmodel *pm, const struct ptext_opts *o, size_t n);
/* Prints the call tree, root first, children by cum, indented, with value and share; frames
 * below min_share of the total (e.g. 0.005) are folded into one "…" line per parent. */
int ptext__print_tree(FILE *f, const struct pmodel *pm, const struct ptext_opts *o,
		      double min_share);
/* Prints folded stacks: "root;caller;leaf VALUE" per distinct stack, merged, value != 0 only.
 * With a base: "root;caller;leaf BASE NEW", the two-column form flamegraph.pl reads as a
 * differential flame graph (difffolded.pl's output). Returns 0 or -errno. */
int ptext__print_folded(FILE *f, const struct pmodel *pm, const struct ptext_opts *o);

#endif
