#!/usr/bin/env bash
# Whole host, processes that ran before cprof-bpf started: 20 uw_nap processes (C without
# frame pointers, asleep 50-250 ms between bursts of about 1 ms in nap_hot). Their unwind
# views are published before the programs attach, so the first sample of each — for a
# sleeper's block profile, the wait that ends first — reaches the thread root as the later
# ones do: at least 99% of their cpu samples and of their block samples (by count) are
# complete. (Published at a process's first sample instead, that sample was cut short: about
# one in ten of a sleeper's block samples in a run this long.)
source "$(dirname "$0")/lib.bash"
require_binary uw_nap
require_bpf
require_pprof

n=20
secs=3

for ((i = 0; i < n; i++)); do
	start_bg "nap$i" "$WL/uw_nap" 60
done
sleep 0.5
run_cprof run 90 -F 99 -t cpu,block -d "$secs" -o "$E2E_TMP/run"
if [ "$RC" -ne 0 ]; then
	show_err run
	fail run "cprof-bpf -t cpu,block -d $secs (whole host) exited $RC"
	e2e_exit
fi

# check_kind KIND SAMPLE_INDEX MIN: the uw_nap processes' samples in KIND's profile.
check_kind() {
	local kind=$1 prof=$E2E_TMP/run/$1.pb.gz traces total cut
	if ! traces=$(pprof_traces "$prof" -sample_index="$2"); then
		fail "$kind/read" "go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")"
		return
	fi
	total=$(traces_count 'lab ~ /,comm=uw_nap,/' <<<"$traces")
	cut=$(traces_count 'lab ~ /,comm=uw_nap,/ && fr[nf] == "[truncated]"' <<<"$traces")
	if [ "$total" -lt "$3" ]; then
		fail "$kind/complete" "$total samples of the uw_nap processes, want ≥ $3"
	elif fcmp "$total - $cut >= 0.99 * $total"; then
		pass "$kind/complete" "$((total - cut)) of $total samples of the $n uw_nap processes started before the run reached their root ($(pct $((total - cut)) "$total")%), want ≥ 99%"
	else
		fail "$kind/complete" "$((total - cut)) of $total samples of the $n uw_nap processes started before the run reached their root ($(pct $((total - cut)) "$total")%), want ≥ 99%; $(grep -m3 'truncated:' "$E2E_TMP/run.err" | sed 's/^ *//' | paste -sd ';' -)"
	fi
}
# About 1% of each process's time is spent burning, 12-20 waits a second.
check_kind cpu samples 20
check_kind block contentions $((n * secs * 4))
e2e_exit
