/* What the text views share (ptext.c, ptext_tree.c): the samples of a profile that pass the
 * filter, with their value of the chosen type; with a base, the base's samples merged in by
 * stack and labels, as pprof -base merges the negated base (so identical samples cancel).
 * Frames live in one space for both profiles, and each frame has its row (a function, or a
 * function and line). Internal to encoder/. */
#ifndef CPROF_PVIEW_H
#define CPROF_PVIEW_H

#include "ptext.h"

/* A frame of the profile or its base. */
struct pv_frame {
	const struct pm_func *fn;
	uint32_t line;
	uint8_t kind;
};

struct pv_sample {
	const uint32_t *stack;	/* pview frame indices, root first */
	uint32_t depth;
	const char *proc, *thread;
	int64_t pid;
	int64_t nv, bv;		/* this profile's value, the base's */
};

struct pview {
	struct pv_frame *frames;
	size_t n_frames;
	struct pv_sample *samples;
	size_t n_samples;
	uint32_t *row_of;	/* per frame */
	struct ptext_row *rows;	/* flat and cum filled in */
	size_t n_rows;
	int64_t total;		/* sum of |nv - bv| (pprof's total) */
	void *priv;
};

/* Returns 0, -EINVAL for a type that does not exist, or -ENOMEM. */
int pview__build(const struct pmodel *pm, const struct ptext_opts *o, struct pview *v);
void pview__free(struct pview *v);

/* Prints a row's name as pprof does: "name", or "name file:line" with by_line. For folded
 * stacks, ';' and control characters become '_' so that one line stays one stack. */
void pview__print_name(FILE *f, const struct ptext_row *r, bool by_line, bool folded);

#endif
