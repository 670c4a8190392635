/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The unwind tables' maps, declared once: bpf/unwind.bpf.h reads them, bpf/proc.bpf.c (always
 * loaded) owns them, so they exist whichever kinds load. */
#ifndef CPROF_UNWIND_MAPS_BPF_H
#define CPROF_UNWIND_MAPS_BPF_H

#include "common.bpf.h"

/* Shared by all objects (user space sizes them before load and reuses their fds), written
 * by user space through mappings of the pages it fills. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cprof_unwind_row);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);	/* array elements are 8-byte aligned: a __u32 would pad anyway */
} unwind_pages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct cprof_proc_maps);
} proc_maps SEC(".maps");

#endif
