#!/usr/bin/env bash
# Whole host (no -p, no COMMAND): spin_one and spin_two each burn a core in their own hot
# function. Every sample whose leaf is spin_one_hot must carry comm=spin_one, thread=spin_one
# and spin_one's pid (and the same for spin_two); filtering the profile by comm
# (-tagfocus) must separate the two; each gets HZ samples per second of CPU it used while
# sampling was on (secs × HZ when it has a core to itself).
source "$(dirname "$0")/lib.bash"
require_binary spin_one spin_two
require_bpf
require_pprof

secs=4
hz=99

start_bg pid_one "$WL/spin_one" 30
start_bg pid_two "$WL/spin_two" 30
cpu_log_start "$pid_one" "$pid_two"
run_traces "-d $secs (whole host)" 40 -d "$secs"
prof=$PROF traces=$TRACES

# check_spinner NAME PID OTHER WANT: labels of NAME's samples, the tagfocus split, the count.
check_spinner() {
	local name=$1 pid=$2 other=$3 want=$4 leaf labelled top mine theirs why=()
	leaf=$(traces_count 'fr[1] == "'"${name}_hot"'"' <<<"$traces")
	labelled=$(traces_count 'fr[1] == "'"${name}_hot"'" && lab ~ /,pid='"$pid"',/ &&
		lab ~ /,comm='"$name"',/ && lab ~ /,thread='"$name"',/' <<<"$traces")
	if [ "$leaf" -gt 0 ] && [ "$labelled" -eq "$leaf" ]; then
		pass "${name}_labels" "$leaf samples with leaf ${name}_hot, all pid=$pid comm=$name thread=$name"
	else
		fail "${name}_labels" "$labelled of $leaf samples with leaf ${name}_hot labelled pid=$pid comm=$name thread=$name; labels seen: $(awk -F '\t' -v f="${name}_hot" '$3 ~ "^" f { print $2 }' <<<"$traces" | sort | uniq -c | sort -rn | head -3 | tr -s ' \n' ' ')"
	fi

	top=$(pprof_top "$prof" -tagfocus="comm=^$name\$")
	mine=$(top_value "${name}_hot" flat <<<"$top")
	theirs=$(top_value "${other}_hot" cum <<<"$top")
	[ "$mine" -gt 0 ] || why+=("-tagfocus=comm=$name shows no ${name}_hot")
	[ "$theirs" -eq 0 ] || why+=("-tagfocus=comm=$name shows ${other}_hot with $theirs samples")
	top=$(pprof_top "$prof" -tagfocus="pid=$pid")
	[ "$(top_value "${name}_hot" flat <<<"$top")" -eq "$mine" ] ||
		why+=("-tagfocus=pid=$pid shows $(top_value "${name}_hot" flat <<<"$top") samples of ${name}_hot, comm=$name shows $mine")
	verdict "${name}_tagfocus" "comm=$name: ${name}_hot $mine, ${other}_hot $theirs" "${why[@]}"

	check_count "${name}_samples" "$leaf" "$want" 25 "samples with leaf ${name}_hot in ${secs}s at $hz Hz"
}
check_spinner spin_one "$pid_one" spin_two "$(window_samples "$prof" 1 "$hz")"
check_spinner spin_two "$pid_two" spin_one "$(window_samples "$prof" 2 "$hz")"
e2e_exit
