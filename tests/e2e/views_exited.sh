#!/usr/bin/env bash
# Unwind views of exited processes do not stay in the kernel. Host-wide, N short-lived
# processes are exec'ed one after another (shortlived 0.03: a view published at its exec,
# the re-reads of its maps due after its exec fall after its exit, and samples of its last
# moments come after its exit record). Two seconds after the last one exited (past the
# second a process's maps stay current), proc_maps, the BPF hash of unwind views by pid,
# must hold no view of theirs: each is 24 KiB of kernel memory, and once the map's 8192
# entries are full no new process gets a view. Before it was fixed, 108 of 120 kept theirs.
source "$(dirname "$0")/lib.bash"
require_binary shortlived
require_bpf
command -v bpftool >/dev/null || skip_all "bpftool is missing (it reads the BPF map)"
command -v python3 >/dev/null || skip_all "python3 is missing (it reads bpftool's JSON)"

n=120
hz=999

start_cprof_bg run -t cpu -F "$hz" -d 60 -o "$E2E_TMP/run"
if ! wait_ready run 60; then
	show_err run
	fail setup "cprof-bpf did not say it was profiling within 60 s"
	e2e_exit
fi
for ((i = 0; i < n; i++)); do
	"$WL/shortlived" 0.03 >/dev/null &
	echo "$!"
	wait "$!"
done >"$E2E_TMP/pids"
sleep 2

# proc_maps of our cprof-bpf: the map of that name among the maps its descriptors hold.
map_id=
for f in "/proc/$CPROF_PID/fdinfo/"*; do
	id=$(awk '$1 == "map_id:" { print $2 }' "$f" 2>/dev/null)
	[ -n "$id" ] && bpftool map show id "$id" 2>/dev/null | grep -q ' name proc_maps ' &&
		map_id=$id && break
done
if [ -z "$map_id" ]; then
	fail setup "no map named proc_maps among those cprof-bpf (pid $CPROF_PID) holds"
	e2e_exit
fi
# Keys are 4-byte little-endian pids, bytes as "0x2a" strings in bpftool's JSON.
bpftool -j map dump id "$map_id" 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(int.from_bytes(bytes(int(b, 16) for b in e["key"]), "little"))' >"$E2E_TMP/keys"
total=$(wc -l <"$E2E_TMP/keys")
left=$(grep -cxFf "$E2E_TMP/pids" "$E2E_TMP/keys")
kill -INT "$CPROF_PID"
wait_exit "$CPROF_PID" 60
if [ "$total" -eq 0 ]; then
	fail views "proc_maps (map $map_id) read empty: no view at all, not even of live processes"
elif [ "$left" -eq 0 ]; then
	pass views "0 of $n exited processes still have a view; $total views in all (live processes)"
else
	fail views "$left of $n processes that exited over 2 s ago still have a view in proc_maps (map $map_id, $total views in all)"
fi
[ "$RC" = 0 ] || { show_err run; fail run "cprof-bpf exited $RC"; }
e2e_exit
