#!/usr/bin/env bash
# Processes profiled from their exec: a shell loop execs 30 copies of uw_exec (C without
# frame pointers, each copy with a build id of its own, so that no cache knows it), each
# living 200 ms, under `-- COMMAND` and then host-wide. From 10 ms after each exec, a
# process's tables and those of the libc its dynamic loader maps after the exec must be in
# place: at most 0.2% of the samples in settled_hot cut short. No frame of theirs, from
# their first instruction, is outside their known mappings ([unmapped]). uw_exec settles
# 12 ms after the shell's $EPOCHREALTIME; the exec times are those of the exec records
# (-v), and a process that settled less than 10 ms after its exec (the shell was
# preempted before the exec) is left out of the count. Then the static uw_exec_static,
# exec'ed ten times: from the second process on, the view the exec program publishes
# holds the executable's tables from its first instruction, so that not even the samples
# of its first milliseconds (before settled_hot) are cut short, give or take 2% (one in
# a thousand samples of any process is cut short for other reasons; without that view it
# was a fifth of these).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_exec uw_exec_static
require_bpf
require_pprof

n=30
life_ms=200
hz=999
max_trunc=0.2

# fresh_copies DIR PREFIX: n copies of uw_exec in DIR, their build ids made distinct (the
# last 4 bytes of the note: PREFIX's 2 bytes, then the copy's number).
fresh_copies() {
	local dir=$1 prefix=$2 id off i b
	mkdir -p "$dir"
	id=$(readelf -n "$WL/uw_exec" | sed -n 's/.*Build ID: //p')
	# The id's bytes start 16 bytes into its note (12 of header, then the name "GNU\0"); the
	# section's file offset is readelf's. (A byte search for the id breaks on ids with a
	# newline byte, 0x0a, in them.)
	off=$(readelf -SW "$WL/uw_exec" | sed 's/^ *\[ *[0-9]*\] *//' |
		awk '$1 == ".note.gnu.build-id" { print $4 }')
	[ -n "$off" ] && off=$((0x$off + 16))
	if [ -z "$id" ] || [ -z "$off" ] ||
		[ "$(od -An -tx1 -v -j "$off" -N $((${#id} / 2)) "$WL/uw_exec" | tr -d ' \n')" != "$id" ]; then
		fail setup "no build id found in $WL/uw_exec"
		e2e_exit
	fi
	for ((i = 0; i < n; i++)); do
		b=$dir/uwx_$(printf %03d "$i")
		cp "$WL/uw_exec" "$b"
		printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((prefix >> 8)) $((prefix & 255)) $((i & 255)) $((i >> 8)))" |
			dd of="$b" bs=1 seek=$((off + ${#id} / 2 - 4)) conv=notrunc status=none
	done
}

# The loop: a subshell per copy, which sets UW_EXEC_T0 and execs it.
loop_of() {
	echo "for b in $1/uwx_*; do (UW_EXEC_T0=\$EPOCHREALTIME exec \"\$b\" $life_ms); done"
}

# check_run NAME OUTPUT: the checks on run NAME (its profile in $E2E_TMP/NAME, its -v log
# in NAME.err), the workloads' lines in OUTPUT.
check_run() {
	local name=$1 output=$2 prof=$E2E_TMP/$1/cpu.pb.gz counts
	if ! pprof_traces "$prof" >"$E2E_TMP/$name.traces"; then
		fail "$name/read" "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
		return
	fi
	# pid → exec time (the records'), pid → settled time (the workload's), then the
	# samples of the processes whose settled phase began 10 ms or more after their exec.
	read -r counts < <(awk -F '\t' '
		FILENAME == ARGV[1] && /: pid [0-9]+: exec at [0-9.]+ s \(monotonic\)/ {
			match($0, /pid [0-9]+: exec at [0-9.]+/)
			split(substr($0, RSTART, RLENGTH), w, " ")
			sub(":", "", w[2]); exec_at[w[2]] = w[5]; next
		}
		FILENAME == ARGV[2] && /^uw_exec: pid [0-9]+ settled at / {
			split($0, w, " "); settled[w[3]] = w[6]; procs++; next
		}
		FILENAME == ARGV[3] && $2 ~ /(^|,)comm=uwx_/ {
			pid = $2; sub(/.*(^|,)pid=/, "", pid); sub(/,.*/, "", pid)
			nf = split($3, fr, ";"); hot = 0; unm = 0
			for (i = 1; i <= nf; i++) {
				if (fr[i] == "settled_hot") hot = 1
				if (fr[i] ~ /^\[unmapped\]/) unm = 1
			}
			all += $1; if (unm) { unmapped += $1; if (ex == "") ex = $3 }
			if (!hot || !(pid in settled) || !(pid in exec_at)) next
			if (settled[pid] - exec_at[pid] < 0.010) { late[pid] = 1; next }
			counted[pid] = 1; settled_n += $1
			if (fr[nf] == "[truncated]") { trunc += $1; if (tex == "") tex = $3 }
		}
		END {
			for (p in counted) np++
			for (p in late) nl++
			printf "%d %d %d %d %d %d %d %s|%s\n", procs + 0, np + 0, nl + 0, all + 0,
				unmapped + 0, settled_n + 0, trunc + 0, (ex == "" ? "-" : ex), (tex == "" ? "-" : tex)
		}' "$E2E_TMP/$name.err" "$output" "$E2E_TMP/$name.traces")
	local procs counted late all unmapped settled trunc examples
	read -r procs counted late all unmapped settled trunc examples <<<"$counts"
	if [ "$procs" -ne "$n" ]; then
		fail "$name/processes" "$procs of $n uw_exec copies said when they settled"
	fi
	if [ "$all" -gt 0 ] && [ "$unmapped" -eq 0 ]; then
		pass "$name/mapped" "none of the $all samples of the $n copies has a frame outside their mappings"
	else
		fail "$name/mapped" "$unmapped of $all samples of the copies have an [unmapped] frame, e.g. ${examples%%|*}"
	fi
	# At least a third of the settled phases' CPU time at $hz Hz, in half the processes.
	if [ "$counted" -lt $((n / 2)) ] || [ "$settled" -lt $((n * life_ms * hz / 1000 / 3 / 2)) ]; then
		fail "$name/settled" "$settled samples in settled_hot of $counted processes settled 10 ms after their exec ($late later than that), too few to tell; summary: $(grep -m1 'user stacks:' "$E2E_TMP/$name.err" | sed 's/^ *//')"
	elif fcmp "$trunc * 100 <= $max_trunc * $settled"; then
		pass "$name/settled" "$trunc of $settled samples in settled_hot cut short ($(pct "$trunc" "$settled")%, want ≤ $max_trunc%), $counted processes ($late left out: settled < 10 ms after the exec)"
	else
		fail "$name/settled" "$trunc of $settled samples in settled_hot cut short ($(pct "$trunc" "$settled")%, want ≤ $max_trunc%), e.g. ${examples#*|}; $(uw_truncation_reasons "$name")"
	fi
}

# Under COMMAND.
fresh_copies "$E2E_TMP/cmd-bin" 1
run_cprof cmd 120 -v -F "$hz" -t cpu -o "$E2E_TMP/cmd" -- bash -c "$(loop_of "$E2E_TMP/cmd-bin")"
if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/cmd/cpu.pb.gz" ]; then
	show_err cmd
	fail cmd/run "cprof-bpf -- bash -c 'exec loop' exited $RC; profile $([ -s "$E2E_TMP/cmd/cpu.pb.gz" ] && echo written || echo missing)"
else
	check_run cmd "$E2E_TMP/cmd.out"
fi

# Host-wide: the loop starts once cprof-bpf has had 2 s for the host's processes, whose
# maps and tables it reads when it first sees them.
fresh_copies "$E2E_TMP/host-bin" 2
start_cprof_bg host -v -F "$hz" -t cpu -o "$E2E_TMP/host" -d 120
if wait_ready host 60; then
	sleep 2
	bash -c "$(loop_of "$E2E_TMP/host-bin")" >"$E2E_TMP/host-loop.out"
	kill -INT "$CPROF_PID"
	wait_exit "$CPROF_PID" 60
else
	RC=not-ready
fi
if [ "$RC" != 0 ] || [ ! -s "$E2E_TMP/host/cpu.pb.gz" ]; then
	show_err host
	fail host/run "cprof-bpf -d 120 (whole host) exited $RC after SIGINT; profile $([ -s "$E2E_TMP/host/cpu.pb.gz" ] && echo written || echo missing)"
else
	check_run host "$E2E_TMP/host-loop.out"
fi

# The same static program ten times: the exec program's view from the second on.
run_cprof static 60 -v -F "$hz" -t cpu -o "$E2E_TMP/static" -- \
	bash -c "for i in 0 1 2 3 4 5 6 7 8 9; do \"$WL/uw_exec_static\" $life_ms; done"
if [ "$RC" -ne 0 ] || ! traces=$(pprof_traces "$E2E_TMP/static/cpu.pb.gz"); then
	show_err static
	fail static/run "cprof-bpf -- bash -c 'uw_exec_static × 10' exited $RC"
else
	first=$(sed -n 's/^uw_exec: pid \([0-9]*\) settled.*/\1/p' "$E2E_TMP/static.out" | head -1)
	read -r early trunc example < <(awk -F '\t' -v first="$first" '
		$2 ~ /(^|,)comm=uw_exec_static(,|$)/ && $2 !~ ",pid=" first "(,|$)" &&
		$3 !~ /(^|;)settled_hot(;|$)/ {
			early += $1; nf = split($3, fr, ";")
			if (fr[nf] == "[truncated]") { trunc += $1; if (ex == "") ex = $3 }
		}
		END { print early + 0, trunc + 0, (ex == "" ? "-" : ex) }' <<<"$traces")
	if [ "$early" -ge 50 ] && fcmp "$trunc * 100 <= 2 * $early"; then
		pass static/from_exec "$trunc of $early samples of processes 2-10 before settled_hot cut short ($(pct "$trunc" "$early")%, want ≤ 2%)"
	else
		fail static/from_exec "$trunc of $early samples of processes 2-10 before settled_hot cut short ($(pct "$trunc" "$early")%, want ≤ 2% of ≥ 50), e.g. $example; $(uw_truncation_reasons static)"
	fi
fi
e2e_exit
