#!/usr/bin/env bash
# Kernel frames: `syscalls` spends most of its time inside read/write system calls, so a large
# share of its samples must show the kernel's syscall entry, symbolized, below the kernel leaf
# and above the user frames (stacks are leaf first: kernel frames, then user frames). The
# user frames, in libc's read/write and the workload, must all be named.
source "$(dirname "$0")/lib.bash"
require_binary syscalls
require_bpf
require_pprof

secs=3
entry='^(entry_SYSCALL_64.*|do_syscall_64|__x64_sys_.*|__do_sys_.*|ksys_(read|write))$'

run_traces "-- syscalls $secs" 30 -- "$WL/syscalls" "$secs"
prof=$PROF traces=$TRACES

# A syscall sample has an entry frame; it is well ordered when a user frame (main, reached
# through libc's read/write) comes after it. (The entry function may be the leaf itself:
# do_syscall_64 has self time on the way back to user space.)
read -r total sys ordered example < <(awk -F '\t' -v re="$entry" '
	{
		total += $1
		nf = split($3, fr, ";")
		e = 0; m = 0
		for (i = 1; i <= nf; i++) {
			if (!e && fr[i] ~ re) e = i
			if (fr[i] == "main") m = i
		}
		if (!e) next
		sys += $1
		if (m > e) ordered += $1
		else if (ex == "") ex = $3
	}
	END { print total + 0, sys + 0, ordered + 0, ex }' <<<"$traces")

share=$(pct "$sys" "$total")
if fcmp "$share > 30"; then
	pass syscall_share "$sys of $total samples ($share%) have a syscall entry frame, want > 30%"
else
	pprof_top "$prof" | sed -n '1,25s/^/    | /p'
	fail syscall_share "$sys of $total samples ($share%) have a syscall entry frame, want > 30%"
fi

oshare=$(pct "$ordered" "$sys")
if [ "$sys" -gt 0 ] && fcmp "$oshare >= 90"; then
	pass kernel_then_user "$ordered of $sys syscall samples ($oshare%) have kernel frames … entry … then main"
else
	fail kernel_then_user "$ordered of $sys syscall samples ($oshare%) have kernel frames … entry … then main, want ≥ 90%; e.g. ${example:-none}"
fi

check_symbolized user_symbolized 'syscalls|libc\.so\.6' <<<"$traces"
e2e_exit
