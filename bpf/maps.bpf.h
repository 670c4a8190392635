/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The maps every cprof BPF object shares, declared once. Each object that includes this
 * header has all six, with the same names, types and key and value types; user space creates
 * each once, from proc.bpf.c's declarations, and makes every object reuse it
 * (bpf_map__reuse_fd), so there is one pid filter, one ring buffer, one set of counters and
 * one copy of the unwind tables. Maps that only one object's programs use stay in that object's source.
 * docs/BPF.md says which program uses which. */
#ifndef CPROF_MAPS_BPF_H
#define CPROF_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cprof.h"

/* tgid → who has it: the processes watched when filter_pids is set. Sized by user space
 * (64 Ki); not preallocated: a run watches a few, and preallocating cost every start ~2 ms.
 * User space inserts its targets with 0; the fork tracepoint inserts a followed child with
 * the child's start_time, so that the free of an earlier process with that pid (an RCU
 * grace period after its reap) does not take out a child the pid went to at once. Every
 * program looks up. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} pids SEC(".maps");

/* Every record and event to user space. Sized by user space (--ring-size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} rb SEC(".maps");

/* enum cprof_counter → count, per CPU: every drop and truncation. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CPROF_CNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* The unwind tables (bpf/unwind.bpf.h), written by user space through mappings of the pages
 * it fills. One entry here: user space sizes the copy it creates before load, and an object
 * whose copy is replaced by another's (or never used) allocates nothing large. */
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

/* pid → its executable mappings (sorted) and their tables. Not preallocated. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct cprof_proc_maps);
} proc_maps SEC(".maps");

#endif
