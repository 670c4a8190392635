#!/usr/bin/env bash
# User stacks through glibc's clone3, whose CFI stops before its syscall instruction and
# restarts, for the new thread, with an undefined return address: uw_spawn creates and
# joins threads in a tight loop, so many samples stop in clone3, in the kernel (the
# parent in copy_process, the new thread at ret_from_fork) or just back from it. Of the
# samples whose user leaf is clone/clone3 (a clone frame not called from start_thread,
# which is the new thread's own code), ≥ 99.5% must reach a thread root, each either the
# new thread's (clone3 is its last frame) or the parent's exact chain to _start:
#   clone3 ← __clone_internal ← create_thread ← pthread_create ← spawn_one ← main ← … ← _start
# The same holds of the block profile's, every wait kept (the parent rarely sleeps inside
# clone3: checked when it did). uw_spawn is attached with -p and starts on SIGUSR1: a
# process sampled in its first milliseconds, before its tables are published, loses stacks
# for another reason (see unwind_c.sh).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_spawn
require_bpf
require_pprof

secs=4
clone='^(__)?clone3?$'
parent="^(__)?clone3?;(__clone_internal;)?create_thread;(__)?pthread_create(@@GLIBC_[0-9.]+|_2_1)?;spawn_one;$UW_LIBC_MAIN\$"

# uw_clone_counts < TRACES: "LEAF ROOTED PARENT CHILD EXAMPLE": samples whose user leaf is
# in clone, those of them that reached a root, of those the parent's exact chain and the
# new thread's clone3 root, and one truncated or unexpected stack.
uw_clone_counts() {
	CLONE=$clone PARENT=$parent awk -F '\t' '
		BEGIN { clone = ENVIRON["CLONE"]; parent = ENVIRON["PARENT"] }
		{
			nf = split($3, fr, ";")
			for (i = 1; i <= nf; i++)
				if (fr[i] ~ clone && (i == 1 || fr[i - 1] != "start_thread")) break
			if (i > nf) next
			leaf += $1
			if (fr[nf] == "[truncated]") { if (ex == "") ex = $3; next }
			rooted += $1
			s = fr[i]
			for (j = i + 1; j <= nf; j++) s = s ";" fr[j]
			if (i == nf) child += $1
			else if (s ~ parent) par += $1
			else if (ex == "") ex = $3
		}
		END { print leaf + 0, rooted + 0, par + 0, child + 0, ex }'
}

# uw_check_clone CHECK MIN < TRACES: the shares above, with at least MIN samples in clone.
uw_check_clone() {
	local check=$1 min=$2 leaf rooted par child example share
	read -r leaf rooted par child example < <(uw_clone_counts)
	share=$(pct "$rooted" "$leaf")
	if [ "$leaf" -lt "$min" ]; then
		fail "$check" "$leaf samples with their user leaf in clone/clone3, want ≥ $min; $UW_SUMMARY"
	elif ! fcmp "$rooted >= 0.995 * $leaf"; then
		fail "$check" "$rooted of $leaf samples in clone/clone3 reached a thread root ($share%), want ≥ 99.5%; e.g. $example; $(uw_truncation_reasons spawn)"
	elif [ $((par + child)) -ne "$rooted" ]; then
		fail "$check" "$((rooted - par - child)) of $rooted samples in clone/clone3 reached a root through other frames than the ground truth, e.g. $example"
	else
		pass "$check" "$rooted of $leaf samples in clone/clone3 reached a thread root ($share%): $par the parent's chain to _start, $child the new thread's; $UW_SUMMARY"
	fi
}

# The target outlives the profile (-d secs) and ends with the script.
start_bg target "$WL/uw_spawn" 300 wait
if ! wait_until 10 has_line "$E2E_TMP/target.log" '^waiting$'; then
	fail spawn/run "uw_spawn 300 wait (pid $target) did not say it was waiting within 10 s"
	e2e_exit
fi
start_cprof_bg spawn -F "$UW_HZ" -t cpu,block --block-rate 1 -p "$target" -d "$secs" \
	-o "$E2E_TMP/spawn"
if wait_ready spawn 60; then
	kill -USR1 "$target"
	wait_exit "$CPROF_PID" 60
else
	RC=not-ready ELAPSED_MS=0
fi
if [ "$RC" != 0 ] || [ ! -s "$E2E_TMP/spawn/cpu.pb.gz" ]; then
	show_err spawn
	fail spawn/run "cprof-bpf -p $target -d $secs exited $RC after ${ELAPSED_MS} ms"
	e2e_exit
fi
UW_SUMMARY=$(grep -m1 'user stacks:' "$E2E_TMP/spawn.err" | sed 's/^ *//')
if ! TRACES=$(pprof_traces "$E2E_TMP/spawn/cpu.pb.gz"); then
	fail spawn/cpu "go tool pprof -traces cannot read the cpu profile: $(head -1 "$PPROF_ERR")"
else
	uw_check_clone spawn/cpu 50 <<<"$TRACES"
	check_symbolized spawn/symbolized 'uw_spawn|libc\.so\.6' <<<"$TRACES"
fi
UW_SUMMARY=$(grep 'user stacks:' "$E2E_TMP/spawn.err" | sed -n '2s/^ *//p')
if ! btraces=$(pprof_traces "$E2E_TMP/spawn/block.pb.gz" -sample_index=contentions); then
	fail spawn/block "go tool pprof -traces cannot read the block profile: $(head -1 "$PPROF_ERR")"
elif [ "$(uw_clone_counts <<<"$btraces" | cut -d' ' -f1)" -eq 0 ]; then
	echo "SKIP: $E2E_SUITE/spawn/block: no block sample was kept inside clone/clone3"
else
	uw_check_clone spawn/block 1 <<<"$btraces"
fi
e2e_exit
