#!/usr/bin/env bash
# The kernel matrix: the built cprof-bpf on Debian 12's own kernel (6.1, linux-image-amd64's
# dependency), booted under qemu with TCG by tests/vm/run-guest.sh; tests/vm/matrix.sh runs
# in the guest (cprof-bpf --check when it has one, one run per kind with -t, one with the
# default kinds) and the profiles come back through the 9p share, read here with go tool
# pprof against the same ground truth and tolerances as the host's tests:
#   cpu    cpusplit: hot_a/b/c shares 60/30/10 ±5 points, stacks, samples = CPU s × HZ
#          -50%/+20% (the emulated timer's rate falls with the host's load)
#   block  offcpu: napper, reader, feeder each wait the run ±10%, burner < 2%
#   mutex  locks contend: ≥ 90% of the delay under hot_section ← worker, lock=hot_lock,
#          total within ±15% of the workload's time in pthread_mutex_lock
#   heap   heap kinds: calloc 16 MiB, the realloc chain, posix_memalign ±15%
#   stacks cprof-bpf stacks of a running threads process: its threads' counts, states and
#          complete stacks, as tests/e2e/stacks.sh checks them (threads.bash)
# A kind that wrote no profile and whose error names it ("cprof-bpf: loading the block
# profile programs: Permission denied") is a SKIP with that reason, never a PASS; any other
# failure (no message, a crash, a hang, wrong figures) is a FAIL. No qemu or no kernel
# package (no apt archive): one SKIP.
#
# Everything the guest wrote (each run's command, stdout, stderr, exit status, profiles, and
# for a failed run the same run with -v) stays in $OUT/vm/matrix for reading afterwards.
#
# Longer than tests/run's default limit: apt may fetch the kernel (≤ 300 s), then the image
# is built and the guest runs (≤ 720 s, boot included; booted once more if it stalled
# under TCG, see boot_guest), then the profiles are read.
# test-timeout: 2100 s
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/block.bash"
source "$(dirname "$0")/mutex.bash"
source "$(dirname "$0")/heap.bash"
source "$(dirname "$0")/threads.bash"
require_binary cpusplit offcpu locks heap threads
require_pprof

secs=3
hz=1009
share=$OUT/vm/matrix
KINDS="cpu block mutex heap"

# guest_kernel: the release the guest's init reported on the console, if any.
guest_kernel() {
	grep -ao 'vm-init: kernel [^ ,]*' "$share/console.log" 2>/dev/null | head -1 | cut -d ' ' -f 3
}

# ---- the guest -----------------------------------------------------------------------------
# boot_guest: runs the matrix in the guest into $share and sets kernel. Per run at most 60 s
# (each may run twice, the second time with -v); the whole guest at most 12 min, boot
# included.
run_guest() {
	CPROF_VM_WORKLOADS="cpusplit offcpu locks heap threads" \
		"$CPROF_ROOT/tests/vm/run-guest.sh" -o "$share" -t 720 "$(dirname "$CPROF")" \
		env SECS="$secs" HZ="$hz" LIMIT=60 sh /vm/matrix.sh 2>"$E2E_TMP/guest.err"
}

# tcg_stall: the guest's console shows the emulated timer stalling (a vCPU that TCG did
# not run for seconds on a loaded host): RCU's "timer wakeup didn't happen" or a soft
# lockup report.
tcg_stall() {
	grep -aqE "timer wakeup didn't happen|Possible timer handling issue|soft lockup" \
		"$share/console.log" 2>/dev/null
}

boot_guest() {
	local rc
	run_guest
	rc=$?
	# One more boot, said, when the guest timed out with the emulated timer stalled; the
	# first console is kept beside the second. A second stall, or any other failure, fails.
	if [ "$rc" -eq 124 ] && tcg_stall; then
		cp "$share/console.log" "$OUT/vm/console.stalled.log"
		echo "    the guest timed out with its timer stalled under TCG" \
			"($(grep -aoE "timer wakeup didn't happen|soft lockup[^]]*]" "$share/console.log" |
				head -1)); booting it once more (first console: $OUT/vm/console.stalled.log)"
		run_guest
		rc=$?
	fi
	grep -v "^run-guest: [a-z]* [0-9.]* s$" "$E2E_TMP/guest.err" | sed "s/^/    | /"
	[ "$rc" -eq 3 ] && skip_all "$(sed -n 's/^run-guest: //p' "$E2E_TMP/guest.err" | tail -1)"
	# "time: kernel 1.4 s, image 3.4 s, guest 35.4 s, boot 5.4 s"
	echo "time: $(sed -n 's/^run-guest: \([a-z]*\) \([0-9.]*\) s$/\1 \2 s/p' "$E2E_TMP/guest.err" |
		paste -sd, - | sed 's/,/, /g')"
	if [ "$rc" -ne 0 ]; then
		tail -20 "$share/console.log" 2>/dev/null | sed 's/^/    | /'
		fail guest "run-guest.sh exited $rc (124: timed out, 125: the guest ran nothing); console in $share/console.log"
		e2e_exit
	fi
	kernel=$(guest_kernel)
	pass guest "kernel ${kernel:-?} booted, matrix ran; results in $share"
}

# CPROF_MATRIX_RESULTS=DIR judges the results already in DIR (an earlier run's share, or
# tests/vm/matrix.sh run by hand elsewhere with its default SECS and HZ) instead of booting
# the guest.
if [ -n "${CPROF_MATRIX_RESULTS:-}" ]; then
	share=$CPROF_MATRIX_RESULTS
	kernel=$(guest_kernel)
	kernel=${kernel:-the kernel of $share}
else
	boot_guest
fi
for n in check check.v cpu cpu.v block block.v mutex mutex.v heap heap.v default default.v \
	stacks stacks.v; do
	[ -r "$share/$n.ms" ] || continue
	echo "time: $n $(awk '{ printf "%.1f", $1 / 1000 }' "$share/$n.ms") s, exit $(cat "$share/$n.rc"): $(cat "$share/$n.cmd")"
done

# ---- reading the runs ----------------------------------------------------------------------

# reason RUN KIND: the last line of RUN's stderr where cprof-bpf names KIND and says why
# ("cprof-bpf: loading the CPU profile program: Invalid argument"); empty if there is none.
reason() {
	local word=$2
	[ "$word" = cpu ] && word='cpu|CPU'
	grep -E "^cprof-bpf: .*\\b($word)\\b[^:]*: .+" "$share/$1.err" 2>/dev/null | tail -1 |
		sed 's/^cprof-bpf: //'
}

# verbose_excerpt RUN: the lines of RUN's -v log that say where loading failed: libbpf's
# first failed relocation with the four lines before it (the field, the candidate, the
# instruction), or the program the verifier refused and its log's last lines.
verbose_excerpt() {
	local log=$share/$1.v.err
	[ -s "$log" ] || return 0
	grep -m1 -B4 'failed to patch insn' "$log" | sed 's/^/    | /'
	grep -m1 'BPF program load failed' "$log" | sed 's/^/    | /'
	awk '/-- BEGIN PROG LOAD LOG --/ { n = 0; delete l } { l[++n] = $0 }
		/-- END PROG LOAD LOG --/ { for (i = (n > 8 ? n - 7 : 1); i < n; i++) print l[i]; exit }' \
		"$log" | sed 's/^/    | /'
}

# usable RUN KIND FILE: the run wrote FILE and exited 0: true. Otherwise prints SKIP (KIND is
# named in the error with a reason) or FAIL and returns 1.
usable() {
	local run=$1 kind=$2 file=$share/$1/$3 rc why
	rc=$(cat "$share/$run.rc" 2>/dev/null || echo none)
	if [ "$rc" = 0 ] && [ -s "$file" ]; then
		return 0
	fi
	why=$(reason "$run" "$kind")
	# An error exit (1-123), not a timeout or a signal (124 and up).
	if [ "$rc" != none ] && [ "$rc" -ge 1 ] && [ "$rc" -le 123 ] && [ ! -e "$file" ] && [ -n "$why" ]; then
		verbose_excerpt "$run"
		echo "SKIP: $E2E_SUITE/$run: $kind unavailable on ${kernel:-this kernel}: $why"
		return 1
	fi
	sed 's/^/    | /' "$share/$run.err" 2>/dev/null | head -20
	fail "$run" "$(cat "$share/$run.cmd" 2>/dev/null) exited $rc; $file $([ -s "$file" ] && echo written || echo missing); ${why:-no error names the $kind kind}"
	return 1
}

# ---- --check --------------------------------------------------------------------------------
if [ -e "$share/check.none" ]; then
	echo "SKIP: $E2E_SUITE/check: cprof-bpf has no --check"
else
	rc=$(cat "$share/check.rc" 2>/dev/null || echo none)
	sed 's/^/    | /' "$share/check.out" "$share/check.err" 2>/dev/null
	case $rc in
	0) pass check "every kind available: $(paste -sd ';' "$share/check.out")" ;;
	1) echo "SKIP: $E2E_SUITE/check: not every kind is available: $(grep . "$share/check.out" "$share/check.err" 2>/dev/null | cut -d: -f2- | paste -sd ';')" ;;
	*) fail check "cprof-bpf --check exited $rc, want 0 (all kinds) or 1 (some unavailable)" ;;
	esac
fi

# check_guest_samples CHECK PROFILE CPU_SECS: at most 20% more samples than CPU_SECS × hz,
# and at least half as many. Under TCG the guest's cpu-clock timer fires when the emulator
# gets to it: on a busy host it is late by more than a period, and the kernel forwards it
# past the periods it missed (one sample for them all), so the guest's rate falls with the
# host's load (measured: 58-77% of CPU s × HZ with a host load of 3-6, over 80% alone).
# Samples lost on our side are counted apart (the summary's lost samples).
check_guest_samples() {
	local got want lo hi
	want=$(awk -v c="${3:-0}" -v hz="$hz" 'BEGIN { printf "%d", c * hz + 0.5 }')
	got=$(pprof_top "$2" | top_total)
	lo=$((want / 2)) hi=$((want * 12 / 10))
	if [ "$want" -gt 0 ] && [ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ]; then
		pass "$1" "$got samples for ${3:-?} s of CPU at $hz Hz, want $want -50%/+20% [$lo, $hi] (TCG)"
	else
		fail "$1" "$got samples for ${3:-?} s of CPU at $hz Hz, want $want -50%/+20% [$lo, $hi] (TCG)"
	fi
}

# ---- one run per kind -----------------------------------------------------------------------
unavailable=0
if usable cpu cpu cpu.pb.gz; then
	prof=$share/cpu/cpu.pb.gz
	check_cpusplit_shares cpu/shares "$prof"
	check_cpusplit_stacks cpu/stacks "$prof"
	check_guest_samples cpu/samples "$prof" "$(cpusplit_cpu "$share/cpu.out")"
else
	unavailable=$((unavailable + 1))
fi

if usable block block block.pb.gz; then
	pid=$(sed -n 's/^offcpu: pid \([0-9]*\)$/\1/p' "$share/block.out")
	if samples=$(block_samples "$share/block/block.pb.gz") && [ -n "$samples" ]; then
		check_offcpu_threads block/ "$samples" "${pid:-none}" $((secs * 1000000000)) \
			"napper reader feeder"
	else
		fail block/read "go tool pprof cannot read block.pb.gz: $(head -1 "$PPROF_ERR")"
	fi
else
	unavailable=$((unavailable + 1))
fi

if usable mutex mutex mutex.pb.gz; then
	truth=$(ms "$(sed -n 's/^locks: hot_wait_ns \([0-9]*\) .*/\1/p' "$share/mutex.out")")
	TRACES=$(pprof_traces "$share/mutex/mutex.pb.gz" -sample_index=delay -unit=ms)
	TOTAL=$(traces_count 1 <<<"$TRACES")
	mutex_check_holder mutex/holder_stack '$3 ~ /(^|;)hot_section;worker(;|$)/' \
		"hot_section → worker"
	mutex_check_label mutex/lock_label hot_lock
	check_count mutex/total_delay "$TOTAL" "$truth" 15 \
		"ms of delay vs the workload's time in pthread_mutex_lock"
else
	unavailable=$((unavailable + 1))
fi

if usable heap heap heap.pb.gz; then
	check_kinds_profile heap "$share/heap/heap.pb.gz"
else
	unavailable=$((unavailable + 1))
fi

# ---- stacks -----------------------------------------------------------------------------------
# A kernel that refuses the thread iterator must say so in one line naming what it lacks: a
# SKIP with that line; any other failure FAILs.
rc=$(cat "$share/stacks.rc" 2>/dev/null || echo none)
if [ "$rc" = 0 ] && [ -s "$share/stacks.out" ]; then
	check_threads_json stacks/ "$share/stacks.out" bad
elif [ "$rc" = 1 ] && [ "$(wc -l <"$share/stacks.err")" -eq 1 ] &&
	grep -q '^cprof-bpf stacks: this kernel refused the thread iterator' "$share/stacks.err"; then
	verbose_excerpt stacks
	echo "SKIP: $E2E_SUITE/stacks: unavailable on ${kernel:-this kernel}: $(sed 's/^cprof-bpf stacks: //' "$share/stacks.err")"
else
	sed 's/^/    | /' "$share/stacks.err" 2>/dev/null | head -20
	fail stacks "$(cat "$share/stacks.cmd" 2>/dev/null) exited $rc; $(wc -c <"$share/stacks.out" 2>/dev/null || echo no) bytes of JSON"
fi

# ---- the default kinds ------------------------------------------------------------------------
# cpu, block, mutex and heap for a COMMAND; one the kernel cannot load is reported and left
# out (DESIGN §7), so the run succeeds with the others.
rc=$(cat "$share/default.rc" 2>/dev/null || echo none)
if [ "$rc" = 0 ]; then
	why=()
	for k in $KINDS; do
		[ -s "$share/default/$k.pb.gz" ] || [ -n "$(reason default "$k")" ] ||
			why+=("no $k.pb.gz and no error naming $k")
	done
	verdict default/kinds "$(cd "$share/default" && ls -- *.pb.gz 2>/dev/null | paste -sd ' ')" "${why[@]}"
	[ -s "$share/default/cpu.pb.gz" ] && check_cpusplit_shares default/cpu_shares "$share/default/cpu.pb.gz"
elif [ "$unavailable" -eq 4 ] && [ "$rc" != none ] && [ "$rc" -ge 1 ] && [ "$rc" -le 123 ]; then
	verbose_excerpt default
	echo "SKIP: $E2E_SUITE/default: no kind loads on ${kernel:-this kernel}; the default run exited $rc: $(grep -m1 '^cprof-bpf: ' "$share/default.err" | sed 's/^cprof-bpf: //')"
else
	sed 's/^/    | /' "$share/default.err" 2>/dev/null | head -20
	fail default "$(cat "$share/default.cmd" 2>/dev/null) exited $rc; the default kinds leave out those the kernel cannot load"
fi
echo "time: kernel matrix $SECONDS s in all"
e2e_exit
