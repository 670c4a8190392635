#!/usr/bin/env bash
# Stopping by signal: a run without -d ends on SIGINT (Ctrl-C) or SIGTERM (kill, systemd)
# within 3 s, writes a complete profile (go tool pprof reads it; ≥ 100 samples of the 2 s the
# target burned) with mode 0600 and flame.html beside it (0600 too), and leaves no temporary
# file next to them.
source "$(dirname "$0")/lib.bash"
require_binary cpusplit
require_bpf
require_pprof

# check_signal SIGNAL ARGS...: cprof-bpf ARGS (no -d) for 2 s once attached, then SIGNAL.
check_signal() {
	local sig=$1 name prof mode fmode n leftovers want why=()
	shift
	name=$(tr 'A-Z' 'a-z' <<<"$sig")
	start_cprof_bg "$name" "$@" -o "$E2E_TMP/$name"
	if ! wait_ready "$name" 30; then
		show_err "$name"
		fail "$name" "cprof-bpf $* did not say it was profiling within 30 s"
		return
	fi
	sleep 2
	kill -s "$sig" "$CPROF_PID"
	wait_exit "$CPROF_PID" 3
	prof=$E2E_TMP/$name/cpu.pb.gz
	if [ "$RC" -eq 124 ]; then
		show_err "$name"
		fail "$name" "cprof-bpf $* still running 3 s after SIG$sig (killed)"
		return
	fi
	if [ ! -s "$prof" ]; then
		show_err "$name"
		fail "$name" "no profile after SIG$sig (cprof-bpf exited $RC in ${ELAPSED_MS} ms)"
		return
	fi
	if ! pprof_top "$prof" >/dev/null; then
		fail "$name" "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
		return
	fi
	# ≥ 100 samples, or 80% of what the target's CPU time while sampling is worth if it had
	# less than a core (a loaded machine).
	want=$(window_samples "$prof" 1 99)
	[ "$want" -gt 0 ] || why+=("the target used no CPU time while sampling was on")
	want=$((want * 8 / 10 < 100 ? want * 8 / 10 : 100))
	n=$(traces_count 'stack ~ /(^|;)hot_[abc](;|$)/' < <(pprof_traces "$prof"))
	[ "$n" -ge "$want" ] || why+=("$n samples in hot_a/hot_b/hot_c, want ≥ $want")
	mode=$(stat -c %a "$prof")
	[ "$mode" = 600 ] || why+=("cpu.pb.gz has mode $mode, want 600")
	fmode=$(stat -c %a "$E2E_TMP/$name/flame.html" 2>/dev/null)
	[ "$fmode" = 600 ] || why+=("flame.html ${fmode:+has mode $fmode, want 600}${fmode:-is missing}")
	leftovers=$(find "$E2E_TMP/$name" -mindepth 1 ! -name '*.pb.gz' ! -name flame.html -printf '%f ')
	[ -z "$leftovers" ] || why+=("unexpected files next to the profiles: $leftovers")
	# An interrupted run is not a failure of the tool: 0, or 128+signal by convention.
	case $RC in
	0 | 130 | 143) ;;
	*) why+=("exit status $RC after SIG$sig") ;;
	esac
	[ ${#why[@]} -gt 0 ] && show_err "$name"
	verdict "$name" "stopped ${ELAPSED_MS} ms after SIG$sig, exit $RC, $n hot samples, mode $mode" "${why[@]}"
}

start_bg target "$WL/cpusplit" 30
cpu_log_start "$target"
check_signal INT -p "$target"
# Whole host: the target's samples are there among everything else's.
check_signal TERM
e2e_exit
