#!/usr/bin/env bash
# Block profile of `cprof-bpf -- offcpu 6` against offcpu's ground truth: napper, reader and
# feeder each wait the whole run (±10%), burner almost never (< 2%); the kernel frames
# name the wait (nanosleep, pipe read); the user frames reach napper_wait / reader_wait /
# feeder_wait and the thread root; labels state and waker (the reader is woken by the
# feeder, the sleepers by the timer interrupt); Go's block profile types. Then the same
# threads with the older way of reading user stacks (at syscall exit), which kernels
# before 6.18 use, forced with CPROF_BLOCK_SYS_EXIT=1.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/block.bash"
require_binary offcpu
require_bpf
require_pprof

secs=6
want=$((secs * 1000000000))

# run_offcpu NAME SECS: cprof-bpf -- offcpu SECS into $E2E_TMP/NAME; sets SAMPLES and CHILD,
# or fails and returns 1.
run_offcpu() {
	local name=$1 s=$2 prof
	run_cprof "$name" 60 -o "$E2E_TMP/$name" -- "$WL/offcpu" "$s"
	prof=$E2E_TMP/$name/block.pb.gz
	CHILD=$(sed -n 's/^offcpu: pid \([0-9]*\)$/\1/p' "$E2E_TMP/$name.out")
	if [ "$RC" -ne 0 ] || [ ! -s "$prof" ] || [ -z "$CHILD" ]; then
		show_err "$name"
		fail "$name" "cprof-bpf -- offcpu $s exited $RC after ${ELAPSED_MS} ms; $prof $([ -s "$prof" ] && echo written || echo missing); child pid '${CHILD}'"
		return 1
	fi
	if ! SAMPLES=$(block_samples "$prof") || [ -z "$SAMPLES" ]; then
		fail "$name" "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
		return 1
	fi
	pass "$name" "exit 0 in ${ELAPSED_MS} ms, $(wc -l <<<"$SAMPLES") samples"
}

if run_offcpu run "$secs"; then
	prof=$E2E_TMP/run/block.pb.gz
	check_block_format format "$prof"
	check_offcpu_threads "" "$SAMPLES" "$CHILD" "$want" "napper reader feeder"
	check_offcpu_wakers "" "$SAMPLES" "$CHILD"
	# Names for every frame of the process, from its binary and libc.
	check_symbolized symbolized 'offcpu|libc\.so\.6' < <(
		awk -F '\t' -v pid=",pid=$CHILD," 'index($3, pid)' <<<"$SAMPLES" | cut -f1,3-)
	# The summary: the block line with its drop counters, and the process's off-CPU time.
	why=()
	grep -q '^block: [0-9]* samples in .*, [0-9]* lost (ring buffer full.*[0-9]* waits ended' \
		"$E2E_TMP/run.err" || why+=("no 'block: N samples ... lost ... waits ended' line")
	grep -q "^  pid $CHILD *offcpu .*off-CPU" "$E2E_TMP/run.err" ||
		why+=("no on-CPU vs off-CPU line for pid $CHILD")
	[ ${#why[@]} -gt 0 ] && show_err run
	verdict summary "block line and on/off-CPU line for pid $CHILD" "${why[@]}"
fi

# A thread waiting in two places in turn: each wait carries its own user stack (a stack
# captured at one wait must not be reused for the next).
run_cprof twowaits 60 -t block -o "$E2E_TMP/twowaits" -- "$WL/twowaits" 3
pid=$(sed -n 's/^twowaits: pid \([0-9]*\)$/\1/p' "$E2E_TMP/twowaits.out")
if [ "$RC" -ne 0 ] || [ -z "$pid" ] || ! samples=$(block_samples "$E2E_TMP/twowaits/block.pb.gz"); then
	show_err twowaits
	fail twowaits "cprof-bpf -t block -- twowaits 3 exited $RC; pid '$pid'"
else
	cond=$(thread_cond "$pid" alternator)
	for w in sleep:hrtimer_nanosleep:poll poll:do_sys_poll:sleep; do
		IFS=: read -r fn kfn other <<<"$w"
		check_delay "twowaits_${fn}_delay" "$(delay_sum "$cond && $(has_frame "$kfn")" <<<"$samples")" \
			1500000000 10 "of delay in $kfn"
		# The first waits may stop early while the process's unwind tables are published.
		check_share "twowaits_${fn}_stack" "$samples" "$cond && $(has_frame "$kfn")" \
			"stack ~ /;wait_$fn;alternator;/" 90 "of the $kfn waits under wait_$fn"
		waits=$(delay_sum "$cond && $(has_frame "$kfn")" <<<"$samples")
		wrong=$(delay_sum "$cond && $(has_frame "$kfn") && stack ~ /;wait_$other;/" <<<"$samples")
		if [ "$waits" -eq 0 ]; then
			fail "twowaits_${fn}_own_stack" "no $kfn wait in the profile: no stack to check"
		elif [ "$wrong" -eq 0 ]; then
			pass "twowaits_${fn}_own_stack" "no $kfn wait has wait_$other's user stack ($(secs "$waits") s of them)"
		else
			fail "twowaits_${fn}_own_stack" "$(secs "$wrong") s of $kfn waits carry wait_$other's user stack"
		fi
	done
fi

# Kernels without BPF task works read the user stack at the next syscall exit.
if CPROF_BLOCK_SYS_EXIT=1 run_offcpu sys_exit 3; then
	for t in napper reader feeder; do
		cond=$(thread_cond "$CHILD" "$t")
		check_delay "sys_exit_${t}_delay" "$(delay_sum "$cond" <<<"$SAMPLES")" 3000000000 10 \
			"of delay in thread $t"
		check_share "sys_exit_${t}_user" "$SAMPLES" "$cond" "$(user_path "${t}_wait" "$t")" 90 \
			"of $t's delay under ${t}_wait ← $t ← thread root"
	done
fi
e2e_exit
