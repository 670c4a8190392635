#!/usr/bin/env bash
# cprof-bpf stacks: every thread's stack now, without stopping the process.
#   1. threads (tests/workloads/threads.c, with its "bad" and "deep" threads): the counts,
#      states and complete stacks of its four kinds of threads, the unreadable stack and
#      the 85 KiB one (threads.bash), from --json; the text output says the same (group
#      lines "10 threads: sleeping 10" …, the unreadable stack counted in the process's
#      line and marked in its group).
#   2. The spinners' counter (a shared mapping, read every 20 ms while the snapshot runs)
#      goes up in every interval: the process never pauses. (eu-stack, next, stops it.)
#   3. eu-stack -p (elfutils) on the same process: for each of the 32 sleeping or blocked
#      threads (sleep, read, lock, main, deep), the same user frames (names, glibc's
#      aliases made one: "__GI___lll_lock_wait" is "__lll_lock_wait",
#      "clock_nanosleep@GLIBC_2.2.5" is "clock_nanosleep") and, for the first thread of
#      each group, the same addresses.
#   4. goidle (Go): every thread of the process, each with Go frames (runtime.*), complete.
#   5. Two processes in one snapshot (-p A,B).
#   6. Without -p: every process of the host, the workload's threads among them.
#   7. Bad input: a pid that is no number (exit 2), no such process, a thread's
#      id, not root, a process that exits before its threads are read (exit 1), each one
#      line.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/threads.bash"
require_binary threads sleepers
require_root
has_bpf_caps || skip_all "no CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN in this environment"

counter=$E2E_TMP/counter
start_bg wl "$WL/threads" 120 "$counter" bad
wait_until 20 has_line "$E2E_TMP/wl.log" '^threads: pid [0-9]+ ready$' ||
	{ fail setup "threads (pid $wl) did not get its threads in place within 20 s"; e2e_exit; }

# counter_now: the spinners' round count.
counter_now() { od -An -tu8 -N8 "$counter" | tr -d ' '; }

# ---- 1, 2: the snapshot, and the progress meanwhile -----------------------------------
( while :; do echo "$(now_ms) $(counter_now)"; sleep 0.02; done ) >"$E2E_TMP/progress" &
sampler=$!
E2E_PIDS+=("$sampler")
sleep 0.2
t0=$(now_ms)
run_cprof json 60 stacks -p "$wl" --json
t1=$(now_ms)
sleep 0.2
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/json.out" ]; then
	if grep -q "refused the thread iterator" "$E2E_TMP/json.err"; then
		skip_all "$(head -1 "$E2E_TMP/json.err")"
	fi
	show_err json
	fail json "cprof-bpf stacks -p $wl --json exited $RC after ${ELAPSED_MS} ms"
	e2e_exit
fi
pass json "exit 0 after ${ELAPSED_MS} ms"
check_threads_json "" "$E2E_TMP/json.out" bad

# Every interval of the sampler that overlaps the snapshot shows the counter going up.
read -r n stalls worst < <(awk -v t0="$t0" -v t1="$t1" '
	NR > 1 && $1 >= t0 && prev_t <= t1 { n++; if ($2 <= prev) stalls++
		if ($1 - prev_t > worst) worst = $1 - prev_t }
	{ prev_t = $1; prev = $2 }
	END { print n + 0, stalls + 0, worst + 0 }' "$E2E_TMP/progress")
if [ "$n" -ge 2 ] && [ "$stalls" -eq 0 ]; then
	pass progress "the counter rose in each of $n intervals over the ${ELAPSED_MS} ms snapshot (longest interval $worst ms)"
else
	fail progress "$stalls of $n intervals over the snapshot without progress (want 0 of at least 2): the process paused"
fi

run_cprof text 60 stacks -p "$wl"
text=$E2E_TMP/text.out
why=()
[ "$RC" -eq 0 ] || why+=("exit $RC")
has_line "$text" "^pid $wl \\(threads\\): 53 threads, 1 whose user stack could not be read$" ||
	why+=("no line 'pid $wl (threads): 53 threads, 1 whose user stack could not be read'")
for g in "10 threads: sleeping 10" "20 threads: (running|runnable) [0-9]+" \
	"1 thread: sleeping 1"; do
	has_line "$text" "^$g" || why+=("no group line '$g'")
done
has_line "$text" '^    [0-9]+ bad-0$' || why+=("no group of bad-0 alone")
[ "$(grep -c '^  \[user stack unreadable\]$' "$text")" = 1 ] ||
	why+=("$(grep -c '^  \[user stack unreadable\]$' "$text") stacks marked unreadable, want 1")
has_line "$text" '^  f_sleep at .*threads\.c:[0-9]+ \[threads\]$' ||
	why+=("no 'f_sleep at …threads.c:LINE [threads]' frame")
verdict text "$(grep -c '^[0-9]* threads\?: ' "$text") groups, as the JSON says" "${why[@]}"

# --each: one entry per thread, by thread id, headed "thread TID NAME [STATE]:", every thread
# of the process once, each with its own stack.
run_cprof each 60 stacks -p "$wl" --each
ls /proc/"$wl"/task >"$E2E_TMP/tids"
python3 - "$E2E_SUITE" "$E2E_TMP/each.out" "$E2E_TMP/tids" "$RC" <<'EOF' || E2E_FAILED=1
import re, sys

suite, path, tids_path, rc = sys.argv[1:5]
text = open(path).read()
want_tids = sorted(int(t) for t in open(tids_path).read().split())
heads = list(re.finditer(r"^thread (\d+) (\S+) \[(\w+)\]:$", text, re.M))
tids = [int(m.group(1)) for m in heads]
why = []
if rc != "0":
    why.append("exit %s" % rc)
if tids != want_tids:
    why.append("%d entries, tids %s..., want the %d threads of /proc in order" %
               (len(tids), tids[:5], len(want_tids)))
# Each entry's stack, up to the next entry: its own.
wrong = []
for i, m in enumerate(heads):
    end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
    body, name, state = text[m.end():end], m.group(2), m.group(3)
    kind = name.split("-")[0]
    leaf = {"sleep": "f_sleep", "read": "f_read", "lock": "f_lock", "spin": "f_spin"}.get(kind)
    states = {"spin": {"running", "runnable"}}.get(kind, {"sleeping"})
    if leaf and (not re.search(r"^  %s at .*threads\.c:\d+ \[threads\]$" % leaf, body, re.M)
                 or state not in states):
        wrong.append("%s [%s]" % (name, state))
    if name == "bad-0" and "  [user stack unreadable]" not in body:
        wrong.append("bad-0 not marked unreadable")
if wrong:
    why.append("%d entries with another stack or state: %s" % (len(wrong), wrong[:4]))
if re.search(r"^\d+ threads?: ", text, re.M):
    why.append("group lines in --each")
if why:
    print("FAIL: %s/each: %s" % (suite, "; ".join(why)))
    sys.exit(1)
print("PASS: %s/each (%d entries, one per thread by tid, each with its own leaf and state)" %
      (suite, len(tids)))
EOF

# ---- 3: eu-stack on the same threads --------------------------------------------------
if command -v eu-stack >/dev/null; then
	timeout 60 eu-stack -p "$wl" >"$E2E_TMP/eu.out" 2>"$E2E_TMP/eu.err"
	python3 - "$E2E_SUITE" "$E2E_TMP/json.out" "$E2E_TMP/eu.out" <<'EOF' || E2E_FAILED=1
import json, re, sys

suite, ours_path, eu_path = sys.argv[1:4]


def norm(name):
    name = re.sub(r"@.*", "", name or "?")
    return re.sub(r"^(_+|GI_)+", "", name)


eu, tid = {}, None
for line in open(eu_path):
    m = re.match(r"TID (\d+):", line)
    if m:
        tid = int(m.group(1))
        eu[tid] = []
        continue
    m = re.match(r"#\d+\s+0x([0-9a-f]+)\s+(\S+)", line)
    if m and tid is not None:
        eu[tid].append((int(m.group(1), 16), norm(m.group(2))))
doc = json.load(open(ours_path))
checked, bad = 0, []
for g in doc["groups"]:
    if g["unreadable"] or not set(g["states"]) <= {"sleeping", "uninterruptible"}:
        continue
    ours = [(int(f["addr"], 16), norm(f["function"])) for f in g["frames"]
            if not f["kernel"] and not f["inlined"]]
    for i, t in enumerate(g["threads"]):
        theirs = eu.get(t["tid"])
        checked += 1
        if theirs is None:
            bad.append("tid %d: not in eu-stack's output" % t["tid"])
        elif [n for _, n in theirs] != [n for _, n in ours]:
            bad.append("tid %d (%s): ours %s, eu-stack %s" %
                       (t["tid"], t["name"], [n for _, n in ours], [n for _, n in theirs]))
        elif i == 0 and [a for a, _ in theirs] != [a for a, _ in ours]:
            bad.append("tid %d: addresses ours %s, eu-stack %s" %
                       (t["tid"], [hex(a) for a, _ in ours], [hex(a) for a, _ in theirs]))
if checked == 32 and not bad:
    print("PASS: %s/eu_stack (%d sleeping or blocked threads, the same frames as eu-stack's)"
          % (suite, checked))
else:
    print("FAIL: %s/eu_stack: %d threads checked (want 32), %d differ: %s" %
          (suite, checked, len(bad), "; ".join(bad[:5])))
    sys.exit(1)
EOF
else
	echo "SKIP: $E2E_SUITE/eu_stack: eu-stack (elfutils) is not installed (scripts/install-deps)"
fi
# ---- 6: the whole host -----------------------------------------------------------------
# Without -p: every process of the host. Each process that ran a program before the snapshot
# and still does after it is in it (but cprof-bpf's own), with as many threads as /proc
# lists for it when they did not change (the workload, this shell); the workload's threads
# named sleep-N, read-N, lock-N and spin-N are 10/10/10/20 under f_sleep, f_read, f_lock and
# f_spin.
host_pids() {
	local p
	for p in /proc/[0-9]*; do
		readlink "$p/exe" >/dev/null 2>&1 && echo "${p#/proc/}"
	done | sort -n
}
host_pids >"$E2E_TMP/host.before"
run_cprof host 60 stacks --json
host_pids >"$E2E_TMP/host.after"
python3 - "$E2E_SUITE" "$E2E_TMP/host.out" "$RC" "$wl" "$$" "$E2E_TMP/host.before" \
	"$E2E_TMP/host.after" "$(ls /proc/"$wl"/task | wc -l)" <<'EOF2' || E2E_FAILED=1
import json, sys

suite, path, rc, wl, sh, before, after, wl_tasks = sys.argv[1:9]
wl, sh, wl_tasks = int(wl), int(sh), int(wl_tasks)
try:
    groups = json.load(open(path))["groups"]
except Exception as e:
    print("FAIL: %s/host: exit %s, no snapshot: %s" % (suite, rc, e))
    sys.exit(1)
stayed = set(map(int, open(before).read().split())) & set(map(int, open(after).read().split()))
per = {}
for g in groups:
    per[g["pid"]] = per.get(g["pid"], 0) + g["count"]
missing = sorted(p for p in stayed if p not in per and
                 open("/proc/%d/comm" % p).read().strip() != "cprof-bpf"
                 if p in stayed)
fns = {}
for g in groups:
    if g["pid"] != wl:
        continue
    for fn in ("f_sleep", "f_read", "f_lock", "f_spin"):
        kind = fn[2:] + "-"
        n = sum(1 for t in g["threads"] if t["name"].startswith(kind))
        if n and any(f["function"] == fn for f in g["frames"]):
            fns[fn] = fns.get(fn, 0) + n
why = []
if rc != "0":
    why.append("exit %s" % rc)
if missing:
    why.append("%d of %d processes missing: %s" % (len(missing), len(stayed), missing[:8]))
if per.get(wl) != wl_tasks:
    why.append("the workload has %s threads, /proc %d" % (per.get(wl), wl_tasks))
if per.get(sh) != 1:
    why.append("this shell has %s threads, want 1" % per.get(sh))
if fns != {"f_sleep": 10, "f_read": 10, "f_lock": 10, "f_spin": 20}:
    why.append("workload threads per function %s, want 10/10/10/20" % fns)
msg = "%d processes, %d threads; all %d that ran before and after; workload %s" % (
    len(per), sum(per.values()), len(stayed), fns)
print(("FAIL: %s/host: %s [%s]" % (suite, "; ".join(why), msg)) if why else
      ("PASS: %s/host (%s)" % (suite, msg)))
sys.exit(1 if why else 0)
EOF2
{ kill -9 "$wl"; wait "$wl"; } 2>/dev/null

# ---- 4: a Go program ------------------------------------------------------------------
if [ -x "$WL/goidle" ]; then
	start_bg go "$WL/goidle" 60
	wait_until 10 has_line "$E2E_TMP/go.log" '^goidle: pid' && sleep 1
	tasks=$(ls "/proc/$go/task" 2>/dev/null | wc -l)
	run_cprof go 60 stacks -p "$go" --json
	python3 - "$E2E_SUITE" "$E2E_TMP/go.out" "$tasks" "$RC" <<'EOF' || E2E_FAILED=1
import json, sys

suite, path, tasks, rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
try:
    doc = json.load(open(path))
except Exception as e:
    print("FAIL: %s/go: exit %s, no snapshot: %s" % (suite, rc, e))
    sys.exit(1)
bad = []
for g in doc["groups"]:
    u = [f["function"] or "?" for f in g["frames"] if not f["kernel"]]
    if not any(f.startswith("runtime.") for f in u) or not g["complete"]:
        bad.append("%d threads: %s%s" % (g["count"], " ← ".join(u),
                                         "" if g["complete"] else " (cut: %s)" % g["stop"]))
if rc == "0" and doc["threads"] == tasks and not bad:
    print("PASS: %s/go (%d threads = /proc's %d, in %d stacks, each with runtime frames, "
          "complete)" % (suite, doc["threads"], tasks, len(doc["groups"])))
else:
    print("FAIL: %s/go: exit %s, %d threads (/proc: %d); %s" %
          (suite, rc, doc["threads"], tasks, "; ".join(bad[:4])))
    sys.exit(1)
EOF
	{ kill -9 "$go"; wait "$go"; } 2>/dev/null
else
	echo "SKIP: $E2E_SUITE/go: goidle is not built (Go missing)"
fi

# ---- 5: bad input ---------------------------------------------------------------------
# check_one_line NAME WANT_RC REGEX: run NAME exited WANT_RC with one line on stderr
# matching REGEX, nothing on stdout.
check_one_line() {
	local name=$1 want=$2 re=$3 lines
	lines=$(wc -l <"$E2E_TMP/$name.err")
	if [ "$RC" -eq "$want" ] && [ "$lines" -eq 1 ] && has_line "$E2E_TMP/$name.err" "$re" &&
		[ ! -s "$E2E_TMP/$name.out" ]; then
		pass "$name" "exit $RC: $(cat "$E2E_TMP/$name.err")"
	else
		show_err "$name"
		fail "$name" "exit $RC (want $want), $lines lines on stderr (want 1 matching '$re'), $(wc -c <"$E2E_TMP/$name.out") bytes on stdout"
	fi
}
# bad_input NAME WANT_RC REGEX ARGS...: cprof-bpf ARGS, checked by check_one_line.
bad_input() {
	local name=$1 want=$2 re=$3
	shift 3
	run_cprof "$name" 60 "$@"
	check_one_line "$name" "$want" "$re"
}
bad_input bad_pid 2 "^cprof-bpf stacks: -p: 'x1' is not a process id" stacks -p x1
bad_input two_formats 2 '^cprof-bpf stacks: --each and --json: one format at a time$' \
	stacks -p $$ --each --json
gone=$(( $(cat /proc/sys/kernel/pid_max) - 1 ))
while kill -0 "$gone" 2>/dev/null; do gone=$((gone - 1)); done
bad_input no_such_pid 1 "^cprof-bpf stacks: pid $gone: no such process$" stacks -p "$gone"
start_bg sl "$WL/sleepers" 1 20000
wait_until 10 has_threads "$sl" sleeper-0
tid=$(grep -lx sleeper-0 /proc/"$sl"/task/*/comm | cut -d/ -f5)
# Two processes in one snapshot: this shell (one thread, waiting for its child) and sleepers
# (its main thread and sleeper-0), each group in its own process.
run_cprof two 60 stacks -p "$sl,$$" --json
python3 - "$E2E_SUITE" "$E2E_TMP/two.out" "$sl" "$$" "$RC" <<'EOF' || E2E_FAILED=1
import json, sys

suite, path, sl, sh, rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
try:
    groups = json.load(open(path))["groups"]
except Exception as e:
    print("FAIL: %s/two_pids: exit %s, no snapshot: %s" % (suite, rc, e))
    sys.exit(1)
per = {}
for g in groups:
    per[g["pid"]] = per.get(g["pid"], 0) + g["count"]
sleeper = [g for g in groups if any(t["name"] == "sleeper-0" for t in g["threads"])]
fns = [f["function"] for f in sleeper[0]["frames"]] if sleeper else []
if rc == "0" and per == {sl: 2, sh: 1} and "sleeper_wait" in fns and sleeper[0]["pid"] == sl:
    print("PASS: %s/two_pids (pid %d: 2 threads, pid %d: 1; sleeper-0 in sleeper_wait)" %
          (suite, sl, sh))
else:
    print("FAIL: %s/two_pids: exit %s, threads per pid %s (want {%d: 2, %d: 1}), sleeper-0: %s" %
          (suite, rc, per, sl, sh, fns))
    sys.exit(1)
EOF
bad_input thread_id 1 "^cprof-bpf stacks: pid $tid is a thread of process $sl: give -p $sl$" \
	stacks -p "$tid"
if command -v setpriv >/dev/null; then
	timeout -k 5 60 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$CPROF" stacks -p $$ >"$E2E_TMP/not_root.out" 2>"$E2E_TMP/not_root.err"
	RC=$?
	check_one_line not_root 1 '^cprof-bpf stacks: .*needs root'
else
	echo "SKIP: $E2E_SUITE/not_root: setpriv (util-linux) is not installed"
fi
# A process alive when it is checked, gone when its threads are read.
start_bg short sleep 1
CPROF_STACKS_WAIT_MS=2000 run_cprof exited 60 stacks -p "$short"
check_one_line exited 1 "^cprof-bpf stacks: pid $short exited before its threads could be read$"
e2e_exit
