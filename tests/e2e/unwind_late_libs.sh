#!/usr/bin/env bash
# Stacks through libraries mapped after a process's unwind tables were published: the
# dynamic loader maps libc and Debian's liblzma a moment after exec, when the process's
# first view (its executable and the loader) is out already, and runs their code before user
# space has read the maps again. uw_lzma (main → compress_round → lzma_easy_buffer_encode)
# is started RUNS times in a row under -- COMMAND at 999 Hz, so that dozens of samples land
# in that moment; the BPF unwinder stops there at a pc outside the mappings it knows, sends
# the stack, and the unwind is finished over that copy once the tables are out:
#   - no stack ends "pc outside known mappings" (the -v list of how stacks ended);
#   - every stack copied for that was finished (the -v count) but at most 1 in 50, and there
#     were some;
#   - ≥ 99% of the samples inside liblzma show the exact stack to the root:
#       (liblzma frames); compress_round; main; __libc_start_call_main; __libc_start_main; _start
#     or, in its initializer, which the loader runs before main:
#       (liblzma frames); call_init (one or more); _dl_init; _dl_start_user
source "$(dirname "$0")/lib.bash"
UW_HZ=999
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_lzma
require_bpf
require_pprof

runs=30

if uw_profile late -v -t cpu -- sh -c "for i in \$(seq $runs); do '$WL/uw_lzma' 0.25 >/dev/null || exit 1; done"; then
	ended=$(sed -n 's/^cprof-bpf: cpu: user stacks by how they ended: //p' "$E2E_TMP/late.err")
	outside=$(sed -n 's/.*pc outside known mappings: \([0-9]*\).*/\1/p' <<<"$ended")
	if [ -z "$ended" ]; then
		fail late/no_mapping "cprof-bpf -v printed no 'user stacks by how they ended' line"
	elif [ "${outside:-0}" -eq 0 ]; then
		pass late/no_mapping "no stack ended outside the known mappings in $runs starts; $ended"
	else
		fail late/no_mapping "$outside stacks ended 'pc outside known mappings' in $runs starts, want 0; $ended; $(uw_truncation_reasons late)"
	fi
	read -r copies finished < <(sed -n 's/^cprof-bpf: cpu: \([0-9]*\) user stacks cut for want of tables ([^)]*): \([0-9]*\) finished.*/\1 \2/p' "$E2E_TMP/late.err")
	if [ -z "${copies:-}" ]; then
		fail late/copies "cprof-bpf -v did not say how many cut stacks it finished from a copy"
	elif [ "$copies" -gt 0 ] && [ $((50 * (copies - finished))) -le "$copies" ]; then
		# One copy in 50 may stay unfinished: a stack whose object's table was still being
		# built when its replay ran ("unwind tables not ready" in the -v list), seen in 2 of 4
		# fresh-clone runs as 1 of 50-57; the stacks check below holds them to 99%.
		pass late/copies "$finished of $copies stacks cut at code mapped after their tables were published finished from a copy of the stack (at most 1 in 50 may not be)"
	elif [ "$copies" -eq 0 ]; then
		fail late/copies "no sample of $runs starts landed in code mapped after its tables were published: nothing was tested (raise runs or UW_HZ)"
	else
		fail late/copies "$finished of $copies stacks cut at code mapped after their tables were published finished from their copy, want all but 1 in 50"
	fi
	lz='liblzma\.so\.[0-9.]+\+0x[0-9a-f]+|lzma_[a-z0-9_]+'
	# liblzma's own constructor runs under the dynamic loader's _dl_init, before main: a
	# root of its own since ld.so's entry code is one.
	uw_check_stacks late/stacks "$lz" "(($lz);)*(compress_round;$UW_LIBC_MAIN|(call_init;)+_dl_init;_dl_start_user)" 1000
fi
e2e_exit
