/* Kernel addresses named by the kernel (bpf/ksym.bpf.c): one lookup per address instead of
 * reading all of /proc/kallsyms, for reports that name a few thousand kernel frames. */
#ifndef CPROF_KSYMBPF_H
#define CPROF_KSYMBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cprof.h"

struct ksymbpf;

/* A name as the kernel formats it. */
struct ksym_name {
	char name[CPROF_KSYM_NAME];
	char module[CPROF_KSYM_NAME];	/* "" for vmlinux */
	uint64_t start;
	bool found;		/* false: no symbol covers the address, or its name was cut */
};

/* Loads the resolver. NULL with errno set when the kernel refuses it (it needs
 * BPF_PROG_TYPE_SYSCALL and bpf_snprintf's %pS: Linux 5.14). */
struct ksymbpf *ksymbpf__open(void);
void ksymbpf__free(struct ksymbpf *k);

/* Names addrs[0..n), any n, into out[0..n). Returns 0, or a negative errno when the program
 * could not run (out is then unset). */
int ksymbpf__lookup(struct ksymbpf *k, const uint64_t *addrs, size_t n, struct ksym_name *out);

/* Names addr, and keeps the answer for the next time it is asked: 0 with its function's
 * name, start and module ("" for vmlinux; strings valid until ksymbpf__free); -ENOENT when
 * the kernel names nothing there or the name was cut (kallsyms may still know it); -E2BIG
 * when max distinct addresses were asked already (reading all of kallsyms is then cheaper);
 * another negative errno when the program could not run. */
int ksymbpf__find(struct ksymbpf *k, uint64_t addr, size_t max, const char **name,
		  uint64_t *start, const char **module);

/* Parses one formatted name of addr, "function+0xoff/0xsize[ [module]]", len bytes as the
 * kernel wrote them (a length past the buffer means the name was cut). Anything else, a bare
 * "0x<address>" included, gives found = false. */
void ksymbpf__parse(const char *text, long len, uint64_t addr, struct ksym_name *out);

#endif
