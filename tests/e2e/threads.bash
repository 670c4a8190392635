# Shared by the tests of `cprof-bpf stacks` (stacks.sh on this kernel, kernel_matrix.sh on
# 6.1): tests/workloads/threads.c's ground truth, checked in a snapshot's JSON. Sourced after
# lib.bash.

# check_threads_json PREFIX FILE [bad]: FILE, `cprof-bpf stacks --json` of one threads
# process, shows
#   sleep  exactly 10 threads "sleep-I", sleeping, one stack: nanosleep in the kernel,
#          then clock_nanosleep … f_sleep ← sleep_main ← start_thread ← clone3
#   read   exactly 10 "read-I", sleeping, in pipe_read, read … f_read ← read_main ← …
#   lock   exactly 10 "lock-I", sleeping, in a futex wait, pthread_mutex_lock … f_lock ←
#          lock_main ← …
#   spin   exactly 20 "spin-I", running or runnable, no kernel frames (preempted or on a
#          CPU, they wait for nothing there), user frames exactly f_spin ← spin_main ←
#          start_thread ← clone3
#   main   the main thread in main_wait ← main ← __libc_start_call_main …
#   total  51 threads; 53 with bad: "bad-0", whose user stack cannot be read, marked so,
#          and "deep-0", f_sleep under 150 calls of f_deep (about 85 KiB of stack, copied
#          in parts), complete to clone3
# each of the four stacks complete (reached its thread root). One PASS/FAIL line per check,
# named PREFIX + the check.
check_threads_json() {
	python3 - "$E2E_SUITE" "$1" "$2" "${3:-}" <<'EOF' || E2E_FAILED=1
import json, sys

suite, prefix, path, bad = sys.argv[1:5]
failed = False


def verdict(name, ok, msg):
    global failed
    if ok:
        print("PASS: %s/%s%s (%s)" % (suite, prefix, name, msg))
    else:
        print("FAIL: %s/%s%s: %s" % (suite, prefix, name, msg))
        failed = True


try:
    with open(path) as f:
        doc = json.load(f)
    groups = doc["groups"]
except Exception as e:  # a file that is no snapshot fails every check at once
    verdict("json", False, "%s is not a snapshot's JSON: %s" % (path, e))
    sys.exit(1)


def user(g):
    return [f["function"] for f in g["frames"] if not f["kernel"] and not f["inlined"]]


def kernel(g):
    return [f["function"] or "?" for f in g["frames"] if f["kernel"]]


# name, leaf function, thread entry, count, states allowed, a kernel function (part of its
# name), a libc function above the leaf
want = [
    ("sleep", "f_sleep", "sleep_main", 10, {"sleeping"}, "nanosleep", "clock_nanosleep"),
    ("read", "f_read", "read_main", 10, {"sleeping"}, "pipe_read", "read"),
    ("lock", "f_lock", "lock_main", 10, {"sleeping"}, "futex", "pthread_mutex_lock"),
    ("spin", "f_spin", "spin_main", 20, {"running", "runnable"}, None, None),
]
for name, leaf, entry, count, states, kfn, libc in want:
    gs = [g for g in groups if entry in user(g)]
    n = sum(g["count"] for g in gs)
    if len(gs) != 1 or n != count:
        verdict(name, False, "%d threads in %d stacks through %s, want %d in one: %s" %
                (n, len(gs), entry, count, [(g["count"], user(g)) for g in gs]))
        continue
    g = gs[0]
    u, k = user(g), kernel(g)
    tail = [leaf, entry, "start_thread", "clone3"]
    why = []
    if u[-4:] != tail or (libc is None and u != tail):
        why.append("user frames %s, want %s%s" % (u, "... " if libc else "", " ← ".join(tail)))
    if libc and libc not in u[:-4]:
        why.append("no %s above %s: %s" % (libc, leaf, u))
    if not g["complete"]:
        why.append("cut short: %s" % g["stop"])
    if not set(g["states"]) <= states:
        why.append("states %s, want only %s" % (g["states"], sorted(states)))
    names = [t["name"] for t in g["threads"]]
    if any(not t.startswith(name + "-") for t in names):
        why.append("thread names %s" % names)
    if kfn and not any(kfn in f for f in k):
        why.append("no kernel frame with %s: %s" % (kfn, k))
    if not kfn and k:
        why.append("kernel frames %s for threads that wait for nothing there" % k)
    verdict(name, not why, "; ".join(why) if why else
            "%d threads %s, %s (%d kernel frames), complete" %
            (n, g["states"], " ← ".join(u), len(k)))

mains = [g for g in groups if "main_wait" in user(g)]
u = user(mains[0]) if len(mains) == 1 else []
at = u.index("main_wait") if u else 0
verdict("main", len(mains) == 1 and mains[0]["count"] == 1 and
        u[at:at + 2] == ["main_wait", "main"] and mains[0]["complete"],
        "main thread: %s" % (" ← ".join(u) if u else "%d groups" % len(mains)))

unread = [g for g in groups if g["unreadable"]]
total = 51 + (2 if bad else 0)
procs = doc.get("processes", [])
ok = doc["threads"] == total and len(procs) == 1 and procs[0]["threads"] == total and \
    procs[0]["unreadable"] == (1 if bad else 0)
verdict("total", ok, "%d threads, want %d; per process %s" % (doc["threads"], total, procs))
if bad:
    ok = (len(unread) == 1 and unread[0]["count"] == 1 and
          unread[0]["threads"][0]["name"] == "bad-0" and not unread[0]["complete"])
    verdict("unreadable", ok, "stacks marked unreadable: %s" %
            [(g["count"], [t["name"] for t in g["threads"]]) for g in unread])
    deep = [g for g in groups if "f_deep" in user(g)]
    u = user(deep[0]) if len(deep) == 1 else []
    want_deep = ["f_sleep"] + ["f_deep"] * 150 + ["deep_main", "start_thread", "clone3"]
    ok = len(deep) == 1 and deep[0]["count"] == 1 and deep[0]["complete"] and \
        u[-len(want_deep):] == want_deep
    verdict("deep", ok, "%d stacks through f_deep; %d frames of f_deep, %s, %s" %
            (len(deep), u.count("f_deep"), " ← ".join(u[-3:]),
             "complete" if deep and deep[0]["complete"] else
             "cut: %s" % (deep[0]["stop"] if deep else "-")))
else:
    verdict("unreadable", not unread, "%d stacks marked unreadable, want 0" % len(unread))
sys.exit(1 if failed else 0)
EOF
}
