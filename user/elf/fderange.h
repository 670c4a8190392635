/* Function ranges from .eh_frame_hdr: the sorted table of FDE initial locations that the
 * runtime's unwinder binary-searches. Every function compiled with unwind tables (nearly all
 * code of a distro library) has one, symbols or not, so they name stripped code per function
 * instead of per instruction. The table comes from the profiled process's file: untrusted,
 * every read bounded by the section. */
#ifndef CPROF_FDERANGE_H
#define CPROF_FDERANGE_H

#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* A function: [start, end) in ELF virtual addresses. */
struct fde_range {
	uint64_t start, end;
};

/* Bound on table entries (libLLVM has ~150k FDEs). */
#define FDE_RANGE_MAX (1u << 22)

/* Reads f's .eh_frame_hdr table into a malloc'd, sorted, disjoint *out (*n entries). A
 * function ends where the next begins, or at the end of its executable section: the table
 * holds starts only. Returns 0, -ENOENT (no usable table: absent, or an encoding other than
 * the datarel sdata4 that linkers write for the binary search), -ENOMEM. */
int fde_range__read(const struct elf_file *f, struct fde_range **out, size_t *n);

/* The range covering vaddr in r[0..n), or NULL. */
const struct fde_range *fde_range__find(const struct fde_range *r, size_t n, uint64_t vaddr);

#endif
