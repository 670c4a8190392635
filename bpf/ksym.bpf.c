// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel addresses named by the kernel itself. User space writes up to CPROF_KSYM_BATCH
 * addresses into addrs[] and runs this program once (BPF_PROG_TEST_RUN); the kernel formats
 * each with "%pS" (its own kallsyms lookup, a binary search) into names[], as
 * "function+0xoff/0xsize [module]", or "0x<address>" when no symbol covers it.
 *
 * Why: naming a few hundred kernel frames from /proc/kallsyms means reading and sorting the
 * whole table first (~200k lines, ~60 ms of CPU, most of it the kernel formatting the file).
 * Here each address costs one lookup. user/symbols/ksymbpf.c runs it, and reads the whole
 * table only when a report needs many thousands of addresses. No kernel type is read, so the
 * object needs no BTF relocation. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cprof.h"

__u64 addrs[CPROF_KSYM_BATCH];
__u32 n_addrs;
char names[CPROF_KSYM_BATCH][CPROF_KSYM_NAME];
__s32 lens[CPROF_KSYM_BATCH];

SEC("syscall")
int cprof_ksym_resolve(void *ctx)
{
	for (__u32 i = 0; i < CPROF_KSYM_BATCH; i++) {
		__u64 arg;

		if (i >= n_addrs)
			break;
		arg = addrs[i];
		lens[i] = bpf_snprintf(names[i], sizeof(names[i]), "%pS", &arg, sizeof(arg));
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
