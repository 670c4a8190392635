# Shared by the mutex-profile tests (sourced after lib.bash; tests/run runs *.sh only).
# shellcheck disable=SC2034

# ms NS: nanoseconds as milliseconds (pprof -unit=ms gives the profile's delays so).
ms() { awk -v n="${1:-0}" 'BEGIN { printf "%.3f", n / 1e6 }'; }

# mutex_run NAME SECS WORKLOAD ARGS...: cprof-bpf -t mutex on the workload; sets TRACES
# (pprof_traces of the delay, in ms), TOTAL (ms) and OUTFILE (the workload's stdout).
# Returns 1, after a FAIL line, when the run or its profile failed.
mutex_run() {
	local name=$1 secs=$2 prof
	shift 2
	run_cprof "$name" $((secs + 60)) -t mutex -o "$E2E_TMP/$name" -- "$@"
	prof=$E2E_TMP/$name/mutex.pb.gz
	OUTFILE=$E2E_TMP/$name.out
	if [ "$RC" -ne 0 ] || [ ! -s "$prof" ]; then
		show_err "$name"
		fail "$name" "cprof-bpf -- $* exited $RC; $prof $([ -s "$prof" ] && echo written || echo missing)"
		return 1
	fi
	TRACES=$(pprof_traces "$prof" -sample_index=delay -unit=ms)
	TOTAL=$(traces_count 1 <<<"$TRACES")
}

# mutex_check_holder CHECK STACK_CONDITION WHAT: ≥ 90% of TOTAL under the holder's stack
# (an awk condition for traces_count).
mutex_check_holder() {
	local name=$1 cond=$2 what=$3 got why=()
	got=$(traces_count "$cond" <<<"$TRACES")
	fcmp "$got >= 0.9 * $TOTAL && $TOTAL > 0" ||
		why+=("$what holds $got of $TOTAL ms ($(pct "$got" "$TOTAL")%), want ≥ 90%")
	[ ${#why[@]} -gt 0 ] && sed -n '1,12s/^/    | /p' <<<"$TRACES"
	verdict "$name" "$(pct "$got" "$TOTAL")% of $TOTAL ms under $what" "${why[@]}"
}

# mutex_check_label CHECK LABEL: ≥ 90% of TOTAL carries lock=LABEL exactly.
mutex_check_label() {
	local name=$1 label=$2 got why=()
	got=$(traces_count "index(lab, \",lock=$label,\")" <<<"$TRACES")
	fcmp "$got >= 0.9 * $TOTAL && $TOTAL > 0" ||
		why+=("lock=$label labels $got of $TOTAL ms; labels seen: $(cut -f2 <<<"$TRACES" | tr ',' '\n' | grep '^lock=' | sort -u | head -5 | tr '\n' ' ')")
	verdict "$name" "lock=$label on $(pct "$got" "$TOTAL")% of $TOTAL ms" "${why[@]}"
}
