#!/usr/bin/env bash
# Files no kept process maps any more are closed, and their unwind tables' rows given back
# and used again. COMMAND runs FRESH programs one after the other, each linked just before
# (a build id of its own, as a host that keeps building and running new binaries has) and
# removed after its run, then, 12 s after the last (files stay open 10 s after the last process that maps them is released), reads which files cprof-bpf (its parent)
# holds open, then runs `keeper`, another new program that spins in keep_inner ←
# keep_outer ← main without frame pointers, so that only its unwind table (in rows the
# removed programs gave back) gives complete stacks. With --max-exited 2:
#   fds        cprof-bpf holds at most 2 of the FRESH removed files open when keeper starts
#              (it held all FRESH before objects were released);
#   closed     the summary says at least FRESH - 3 files were closed, and -v that their
#              tables were dropped;
#   evicted    the removed programs' samples are in [evicted], not lost;
#   keeper     ≥ 150 samples in keep_inner (2 s at 199 Hz is 398), ≥ 95% of them complete
#              (keep_inner ← keep_outer ← main).
#   wakers     a shell runs /bin/true 80 times (-t block --block-rate 1 --max-exited 2): its
#              waits, each keyed by the child that woke it, leave with the children they
#              name: at most 3 stacks woken by `true` kept, ≥ 60 samples in [evicted]
#              (a long-lived parent otherwise kept a stack per child it ever had);
#   nofile     started with a soft descriptor limit of 256, cprof-bpf raises its own to the
#              hard limit, and COMMAND still runs with 256.
source "$(dirname "$0")/lib.bash"
require_bpf cpu
require_pprof
command -v gcc >/dev/null || skip_all "gcc is missing (the test links its programs as it runs)"

FRESH=24
bin=$E2E_TMP/bin
mkdir -p "$bin"
for ((i = 1; i <= FRESH; i++)); do
	# The loop bound makes each text, hence each build id, new.
	if ! echo "__attribute__((noinline)) void fresh_burn(unsigned long n) {
		volatile unsigned long s = 0; for (unsigned long k = 0; k < n; k++) s += k; }
		int main(void) { fresh_burn(100000000ul + $i); return 0; }" |
		gcc -O1 -fomit-frame-pointer -x c - -o "$bin/fresh_$i" 2>"$E2E_TMP/cc.err"; then
		fail setup "gcc: $(head -3 "$E2E_TMP/cc.err")"
		e2e_exit
	fi
done
if ! echo '#include <time.h>
	static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
		return t.tv_sec + t.tv_nsec / 1e9; }
	__attribute__((noinline)) unsigned long keep_inner(unsigned long n) {
		volatile unsigned long s = 0; for (unsigned long k = 0; k < n; k++) s += k; return s; }
	__attribute__((noinline)) unsigned long keep_outer(void) {
		unsigned long s = 0; double end = now() + 2.0;
		while (now() < end) s += keep_inner(200000); return s; }
	int main(void) { return keep_outer() == 1; }' |
	gcc -O1 -fomit-frame-pointer -x c - -o "$bin/keeper" 2>"$E2E_TMP/cc.err"; then
	fail setup "gcc: $(head -3 "$E2E_TMP/cc.err")"
	e2e_exit
fi
cat >"$E2E_TMP/run.sh" <<EOF
for i in \$(seq $FRESH); do "$bin/fresh_\$i"; rm -f "$bin/fresh_\$i"; done
sleep 12
ls -l /proc/\$PPID/fd >"$E2E_TMP/fds.txt" 2>&1
exec "$bin/keeper"
EOF

run_traces "-t cpu -F 199 --max-exited 2 -v -- sh run.sh" 120 -t cpu -F 199 --max-exited 2 \
	-v -- sh "$E2E_TMP/run.sh"

held=$(grep -c "$bin/fresh_" "$E2E_TMP/fds.txt")
why=()
[ -s "$E2E_TMP/fds.txt" ] || why+=("no descriptor list")
[ "$held" -le 2 ] || why+=("$held open, want ≤ 2 (--max-exited 2)")
verdict fds "$held of the $FRESH removed programs' files open when keeper started" "${why[@]}"

closed=$(sed -n 's/.*; \([0-9]*\) files only they mapped closed$/\1/p' "$E2E_TMP/run.err" |
	tail -1)
dropped=$(sed -n 's/.*unwind tables: \([0-9]*\) dropped with their objects.*/\1/p' \
	"$E2E_TMP/run.err" | tail -1)
why=()
[ "${closed:-0}" -ge $((FRESH - 3)) ] || why+=("want ≥ $((FRESH - 3)) files closed")
[ "${dropped:-0}" -ge $((FRESH - 3)) ] || why+=("want ≥ $((FRESH - 3)) tables dropped")
((${#why[@]} == 0)) || show_err run
verdict closed "${closed:-no} files closed, ${dropped:-no} tables dropped (-v)" "${why[@]}"

evicted=$(traces_count 'fr[1] == "[evicted]"' <<<"$TRACES")
fresh_live=$(traces_count 'stack ~ /fresh_burn/' <<<"$TRACES")
why=()
[ "$evicted" -ge 100 ] || why+=("want ≥ 100: the $FRESH programs' samples (100M iterations each)")
verdict evicted "$evicted samples in [evicted], $fresh_live still under fresh_burn" "${why[@]}"

inner=$(traces_count 'fr[1] == "keep_inner"' <<<"$TRACES")
whole=$(traces_count 'fr[1] == "keep_inner" && fr[2] == "keep_outer" && fr[3] == "main"' \
	<<<"$TRACES")
why=()
[ "$inner" -ge 150 ] || why+=("$inner samples in keep_inner, want ≥ 150")
[ $((whole * 100)) -ge $((inner * 95)) ] || why+=("want ≥ 95% complete")
verdict keeper "$whole of $inner samples in keep_inner complete (keep_inner ← keep_outer ← main)" \
	"${why[@]}"

# The descriptor limit: ours raised, the command's as given.
(
	ulimit -Sn 256
	exec "$CPROF" -t cpu -d 5 -o "$E2E_TMP/nofile" -- sh -c \
		'ulimit -Sn >"$0"; grep "Max open files" /proc/$PPID/limits >>"$0"' "$E2E_TMP/nofile.txt"
) >"$E2E_TMP/nofile.out" 2>&1
cmd_soft=$(head -1 "$E2E_TMP/nofile.txt")
read -r soft hard < <(awk '/Max open files/ { print $4, $5 }' "$E2E_TMP/nofile.txt")
why=()
[ "$cmd_soft" = 256 ] || why+=("the command ran with a soft limit of ${cmd_soft:-?}, want 256")
[ -n "$hard" ] && [ "$soft" = "$hard" ] || why+=("cprof-bpf's soft limit ${soft:-?}, want its hard limit ${hard:-?}")
((${#why[@]} == 0)) || sed -n '1,5s/^/    | /p' "$E2E_TMP/nofile.out"
verdict nofile "command $cmd_soft, cprof-bpf $soft of $hard" "${why[@]}"

# Waits keyed by wakers that are gone go with them.
run_cprof wakers 60 -t block --block-rate 1 --max-exited 2 -o "$E2E_TMP/wakers" -- \
	sh -c 'for i in $(seq 80); do /bin/true; done; sleep 2.5'
why=()
if [ "$RC" -ne 0 ] || ! wtraces=$(pprof_traces "$E2E_TMP/wakers/block.pb.gz" -sample_index=contentions); then
	show_err wakers
	why+=("cprof-bpf -t block exited $RC, or its profile does not read: $(head -2 "$PPROF_ERR")")
fi
kept=$(awk -F '\t' '$2 ~ /(^|,)waker=true(,|$)/ { n++ } END { print n + 0 }' <<<"$wtraces")
folded=$(traces_count 'fr[1] == "[evicted]"' <<<"$wtraces")
[ "$kept" -le 3 ] || why+=("$kept stacks woken by true kept, want ≤ 3")
[ "$folded" -ge 60 ] || why+=("$folded samples in [evicted], want ≥ 60 (80 waits for children)")
verdict wakers "$kept stacks woken by true kept, $folded samples in [evicted]" "${why[@]}"
e2e_exit
