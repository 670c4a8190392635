#!/usr/bin/env bash
# User stacks of C and C++ code without frame pointers, unwound from .eh_frame in BPF: for each
# workload of tests/workloads/unwind/, ≥ 99% of the samples reach the thread root and every
# hot sample shows the exact call chain of the workload's source down to it; the summary
# shows no frame-pointer fallback beyond the stacks sampled before the tables were ready:
#   uw_chain   main → level1 → level2 → hot
#   uw_deep    a 60-deep virtual recursion (C++)
#   uw_qsort   a comparison callback called by libc's qsort
#   uw_signal  a SIGPROF handler: through the kernel's signal frame into the interrupted code
#   uw_thread  a thread started with pthread_create (root: start_thread, clone3)
#   uw_epilogue  sampled after "pop %rbp" where the CFI still has rbp saved, in a slot now
#              below the stack pointer on a page made unreadable: the slot is dead (rbp holds
#              the caller's value) and reading it faulted, which cut every such stack short
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_chain uw_deep uw_qsort uw_signal uw_thread uw_epilogue
require_bpf
require_pprof

secs=4

if uw_profile chain -- "$WL/uw_chain" "$secs"; then
	uw_check_root chain/root chain
	uw_check_no_fallback chain/no_fallback chain
	uw_check_stacks chain/stacks hot "hot;level2;level1;$UW_LIBC_MAIN"
	check_symbolized chain/symbolized 'uw_chain|libc\.so\.6|ld-linux-x86-64\.so\.2' <<<"$TRACES"
fi

if uw_profile deep -- "$WL/uw_deep" "$secs"; then
	pair='Odd::descend\(int, long\);Even::descend\(int, long\);'
	uw_check_root deep/root deep
	uw_check_no_fallback deep/no_fallback deep
	uw_check_stacks deep/stacks leaf_hot "leaf_hot;$(uw_repeat 30 "$pair")run;$UW_LIBC_MAIN"
fi

if uw_profile qsort -- "$WL/uw_qsort" "$secs"; then
	uw_check_root qsort/root qsort
	uw_check_no_fallback qsort/no_fallback qsort
	# glibc's qsort tail-calls qsort_r, which sorts with a recursive merge sort.
	uw_check_stacks qsort/stacks cmp_hot \
		"cmp_hot(;msort_with_tmp(\.part\.[0-9]+)?)+;(__)?qsort_r;sort_round;$UW_LIBC_MAIN"
fi

if uw_profile signal -- "$WL/uw_signal" "$secs"; then
	uw_check_root signal/root signal
	uw_check_no_fallback signal/no_fallback signal
	uw_check_stacks signal/handler sig_hot \
		"sig_hot;on_sigprof;__restore_rt;spin_hot;level1;$UW_LIBC_MAIN"
	uw_check_stacks signal/interrupted spin_hot "spin_hot;level1;$UW_LIBC_MAIN"
fi

if uw_profile thread -- "$WL/uw_thread" "$secs"; then
	uw_check_root thread/root thread
	uw_check_no_fallback thread/no_fallback thread
	uw_check_stacks thread/stacks t_hot "t_hot;t_level;worker;start_thread;clone3"
	labelled=$(traces_count '$3 ~ /(^|;)t_hot;/ && lab ~ /,thread=uw_worker,/' <<<"$TRACES")
	hot=$(traces_count '$3 ~ /(^|;)t_hot;/' <<<"$TRACES")
	if [ "$hot" -gt 0 ] && [ "$labelled" -eq "$hot" ]; then
		pass thread/label "$hot samples in t_hot, all labelled thread=uw_worker"
	else
		fail thread/label "$labelled of $hot samples in t_hot labelled thread=uw_worker"
	fi
fi

if uw_profile epilogue -- "$WL/uw_epilogue" "$secs"; then
	uw_check_root epilogue/root epilogue
	uw_check_stacks epilogue/stacks epi_hot "epi_hot;epi_run;epi_round;$UW_LIBC_MAIN"
fi
e2e_exit
