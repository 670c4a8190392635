#!/usr/bin/env bash
# Symbols for a stripped binary fetched by build id from a debuginfod server, on the real
# profiler. sym_inline_stripped has no debuginfo anywhere cprof-bpf looks by default; a
# real debuginfod (elfutils') on loopback indexes the unstripped sym_inline, whose build id
# it shares. Checked:
#   fetched            DEBUGINFOD_URLS set, empty cache: the hot code is named with file and
#                      line (the inlined mix at its HOT lines in outer_work at its CALL) in
#                      ≥ 90% of the samples, and the file is in DEBUGINFOD_CACHE_PATH
#   no_urls, timeout_0 without DEBUGINFOD_URLS, or with --debuginfod-timeout 0: not named,
#                      nothing tried (no cache directory made)
#   silent_server      a server that accepts and never answers, two objects to fetch,
#                      --debuginfod-timeout 2, -d 2: the run ends within 2 + 2 s (+ margin)
#                      of its start, exits 0, writes its profile, says one summary line
#   after_timeout      the timed-out fetch was not remembered as a miss by the client's
#                      cache: the same cache, the real server, named again
#   wrong_build_id     a server that answers with a copy of sym_inline whose build id was
#                      changed (same symbols and DWARF otherwise): fetched, rejected, unused
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/sym_lib.bash"
require_binary sym_inline sym_inline_stripped sym_jit
require_bpf cpu
require_pprof
# The machine's own servers (Debian's /etc/profile.d sets them) play no part here.
unset DEBUGINFOD_URLS DEBUGINFOD_CACHE_PATH
for tool in debuginfod curl python3 readelf; do
	command -v "$tool" >/dev/null ||
		skip_all "$tool is not installed (apt-get install debuginfod curl python3 binutils)"
done

src=$CPROF_ROOT/tests/workloads/sym/sym_inline.c
hot=$(marker_lines "$src" '/\* HOT \*/')
call=$(marker_lines "$src" '/\* CALL \*/')
mix_start=$(def_line "$src" 'uint64_t mix(uint64_t x, int rounds)')
outer_start=$(def_line "$src" 'uint64_t outer_work(uint64_t seed)')
c_inner="mix [^ ]*/tests/workloads/sym/sym_inline\\.c:($hot) s=$mix_start"
c_outer="outer_work [^ ]*/tests/workloads/sym/sym_inline\\.c:($call) s=$outer_start"
bid=$(readelf -n "$WL/sym_inline" | sed -n 's/^.*Build ID: *//p')
[ "$(readelf -n "$WL/sym_inline_stripped" | sed -n 's/^.*Build ID: *//p')" = "$bid" ] && [ -n "$bid" ] || {
	fail setup "sym_inline and sym_inline_stripped do not share a build id"
	e2e_exit
}

# ---- servers ---------------------------------------------------------------------------

# port_ready FILE: FILE holds the port a helper server listens on.
port_ready() { [ -s "$1" ]; }

# serves URL: the debuginfod at URL answers 200 for the build id's debuginfo.
serves() {
	[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$1/buildid/$bid/debuginfo")" = 200 ]
}

# start_debuginfod: elfutils' debuginfod on a free loopback port, indexing the unstripped
# sym_inline; sets DBGD_URL once it serves the file. Returns 1 if it cannot.
start_debuginfod() {
	local try port
	mkdir -p "$E2E_TMP/srv" && cp "$WL/sym_inline" "$E2E_TMP/srv/" || return 1
	for try in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		ss -ltnH "sport = :$port" 2>/dev/null | grep -q . && continue
		rm -f "$E2E_TMP/db.sqlite"*
		start_bg DBGD_PID env -u DEBUGINFOD_URLS debuginfod -p "$port" \
			-d "$E2E_TMP/db.sqlite" -F "$E2E_TMP/srv"
		DBGD_URL=http://127.0.0.1:$port
		# Indexing one file takes a moment; a port taken meanwhile ends the server.
		if wait_until 30 serves_or_dead; then
			kill -0 "$DBGD_PID" 2>/dev/null && return 0
		fi
		kill "$DBGD_PID" 2>/dev/null
	done
	return 1
}
serves_or_dead() { ! kill -0 "$DBGD_PID" 2>/dev/null || serves "$DBGD_URL"; }

# start_py VAR SCRIPT ARGS...: a helper server in python3 that writes its port to a file;
# sets VAR to its URL. Returns 1 if it does not start.
start_py() {
	local var=$1 script=$2 portfile=$E2E_TMP/$1.port
	shift 2
	start_bg "${var}_PID" python3 "$script" "$portfile" "$@"
	wait_until 10 port_ready "$portfile" || return 1
	printf -v "$var" 'http://127.0.0.1:%s' "$(cat "$portfile")"
}

cat >"$E2E_TMP/silent.py" <<'EOF'
# Accepts connections and never answers them.
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    held.append(s.accept()[0])
EOF

cat >"$E2E_TMP/fixed.py" <<'EOF'
# Answers every /buildid/ID/debuginfo with the same file, whatever ID.
import http.server, os, re, sys
data = open(sys.argv[2], "rb").read()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if re.fullmatch(r"/buildid/[0-9a-f]+/debuginfo", self.path):
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
EOF

start_debuginfod || skip_all "debuginfod did not start and index a file within 30 s on 5 ports: $(tail -1 "$E2E_TMP/DBGD_PID.log" 2>/dev/null)"

# ---- checks ----------------------------------------------------------------------------

# debuginfod_env URLS CACHE: what the client reads; URLS "" unsets it.
debuginfod_env() {
	if [ -n "$1" ]; then export DEBUGINFOD_URLS=$1; else unset DEBUGINFOD_URLS; fi
	export DEBUGINFOD_CACHE_PATH=$2
}

# counts PROFILE: "ALL NAMED LINED": samples, those with mix or outer_work anywhere in their
# leaf location, those whose leaf location is exactly mix at HOT in outer_work at CALL.
counts() {
	local locs
	locs=$(leaf_locations "$1") || { echo "0 0 0"; return; }
	awk -F '\t' -v want="^($c_inner) \\\\| ($c_outer)\$" '
		{ all += $1 }
		$2 ~ /(^|\| )(mix|outer_work) / { named += $1 }
		$2 ~ want { lined += $1 }
		END { print all + 0, named + 0, lined + 0 }' <<<"$locs"
}

# check_named NAME PROFILE: ≥ 90% of the samples are the inlined mix with file and line.
check_named() {
	local all named lined why=()
	read -r all named lined < <(counts "$2")
	[ "$all" -gt 0 ] && fcmp "$lined >= 0.9 * $all" ||
		why+=("$lined of $all samples are mix at sym_inline.c:($hot) in outer_work at :($call), want ≥ 90%")
	[ ${#why[@]} -gt 0 ] && leaf_locations "$2" | sed -n '1,6s/^/    | /p'
	verdict "$1" "$lined of $all samples at mix sym_inline.c:HOT | outer_work :CALL" "${why[@]}"
}

# check_unnamed NAME PROFILE [WHY...]: no sample names mix or outer_work.
check_unnamed() {
	local name=$1 all named lined why=()
	read -r all named lined < <(counts "$2")
	shift 2
	why=("$@")
	[ "$all" -gt 0 ] || why+=("no sample: nothing to tell named from unnamed")
	[ "$named" -eq 0 ] || why+=("$named samples named mix or outer_work")
	verdict "$name" "$named of $all samples named mix or outer_work" "${why[@]}"
}

# 1. Fetched into an empty cache.
mkdir -p "$E2E_TMP/cache1"
debuginfod_env "$DBGD_URL" "$E2E_TMP/cache1"
if profile fetched -t cpu -v -d 2 -- "$WL/sym_inline_stripped" 2; then
	check_named fetched "$PROF"
	cached=$E2E_TMP/cache1/$bid/debuginfo
	why=()
	[ -s "$cached" ] || why+=("$cached is missing or empty")
	got=$(readelf -n "$cached" 2>/dev/null | sed -n 's/^.*Build ID: *//p')
	[ "$got" = "$bid" ] || why+=("the cached file's build id is '$got'")
	has_line "$E2E_TMP/fetched.err" "^cprof-bpf: debuginfod: .*/sym_inline_stripped: fetched $cached in [0-9]+ ms\$" ||
		why+=("-v did not say it was fetched")
	[ ${#why[@]} -gt 0 ] && show_err fetched
	verdict fetched_cached "$cached, build id $got" "${why[@]}"
fi

# 2. No server named, or debuginfod turned off: nothing tried, nothing named.
debuginfod_env "" "$E2E_TMP/cache2"
if profile no_urls -t cpu -v -d 2 -- "$WL/sym_inline_stripped" 2; then
	why=()
	[ -e "$E2E_TMP/cache2" ] && why+=("the client's cache was made: something was tried")
	has_line "$E2E_TMP/no_urls.err" '^(cprof-bpf: )?debuginfod:' &&
		why+=("stderr speaks of debuginfod: $(grep -m1 -E '^(cprof-bpf: )?debuginfod:' "$E2E_TMP/no_urls.err")")
	check_unnamed no_urls "$PROF" "${why[@]}"
fi
debuginfod_env "$DBGD_URL" "$E2E_TMP/cache2b"
if profile timeout_0 -t cpu -v --debuginfod-timeout 0 -d 2 -- "$WL/sym_inline_stripped" 2; then
	why=()
	[ -e "$E2E_TMP/cache2b" ] && why+=("the client's cache was made: something was tried")
	check_unnamed timeout_0 "$PROF" "${why[@]}"
fi

# timed_run NAME: cprof-bpf -p W1,W2 -d 2 --debuginfod-timeout 2 in the background; sets RC
# and ELAPSED_MS, the time from its "profiling" line to its exit. Appends to why.
timed_run() {
	start_cprof_bg "$1" -t cpu --debuginfod-timeout 2 -d 2 -p "$W1,$W2" -o "$E2E_TMP/$1"
	if wait_ready "$1" 60; then
		wait_exit "$CPROF_PID" 60
	else
		wait_exit "$CPROF_PID" 5
		why+=("$1: it never said it was profiling")
	fi
}

# 3. A server that never answers; two objects wait for it (sym_jit, copied away from its
# .debug, has no debuginfo either). The run's end waits one budget in all, not one each.
mkdir -p "$E2E_TMP/bin" && cp "$WL/sym_jit" "$E2E_TMP/bin/sym_jit"
if start_py SILENT "$E2E_TMP/silent.py"; then
	why=()
	start_bg W1 "$WL/sym_inline_stripped" 90
	start_bg W2 "$E2E_TMP/bin/sym_jit" 90
	# The same run without a server first: what its end costs anyway (symbols, DWARF).
	debuginfod_env "" "$E2E_TMP/cache3"
	timed_run base
	base_ms=$ELAPSED_MS base_rc=$RC
	mkdir -p "$E2E_TMP/cache3"
	debuginfod_env "$SILENT" "$E2E_TMP/cache3"
	timed_run silent
	kill "$W1" "$W2" 2>/dev/null
	rm -f "/tmp/perf-$W2.map"
	# -d 2, one budget of 2 s for every object, the end's own work, and 1.5 s for a busy
	# machine and the client's cancel (it checks about once a second).
	limit_ms=$((2000 + 2000 + (base_ms - 2000) + 1500))
	[ "$base_rc" -eq 0 ] || why+=("the run without a server exited $base_rc")
	[ "$RC" -eq 0 ] || why+=("exited $RC")
	[ "$ELAPSED_MS" -le "$limit_ms" ] ||
		why+=("ended ${ELAPSED_MS} ms after it began profiling, want ≤ $limit_ms (-d 2, a 2 s budget, the ${base_ms} ms run without a server less its 2 s, 1.5 s margin)")
	# Two or more: a machine without libc6-dbg adds libc and the loader.
	lines=$(grep -c '^debuginfod: ' "$E2E_TMP/silent.err")
	n=$(sed -n 's/^debuginfod: \([0-9]*\) objects not fetched within 2 s (DEBUGINFOD_URLS=\(.*\))$/\1 \2/p' \
		"$E2E_TMP/silent.err")
	[ "$lines" -eq 1 ] && [ "${n% *}" -ge 2 ] 2>/dev/null && [ "${n#* }" = "$SILENT" ] ||
		why+=("want one line 'debuginfod: N objects not fetched within 2 s (DEBUGINFOD_URLS=$SILENT)', N ≥ 2; got $lines: $(grep '^debuginfod' "$E2E_TMP/silent.err" | head -2)")
	read -r all _ _ < <(counts "$E2E_TMP/silent/cpu.pb.gz")
	[ "$all" -gt 0 ] || why+=("the profile has no sample (or is unreadable)")
	[ ${#why[@]} -gt 0 ] && show_err silent
	verdict silent_server "ended ${ELAPSED_MS} ms after profiling began (${base_ms} ms without a server), $all samples" "${why[@]}"

	# The timeout was not cached as "not found": the real server, the same cache.
	debuginfod_env "$DBGD_URL" "$E2E_TMP/cache3"
	if profile after_timeout -t cpu -d 2 -- "$WL/sym_inline_stripped" 2; then
		check_named after_timeout "$PROF"
	fi
else
	fail silent_server "the silent python3 server did not start: $(tail -1 "$E2E_TMP/SILENT_PID.log")"
fi

# 4. A server that answers with the wrong file: sym_inline with its build id changed.
python3 - "$WL/sym_inline" "$E2E_TMP/wrong_id.elf" "$bid" <<'EOF'
import sys
data, old = open(sys.argv[1], "rb").read(), bytes.fromhex(sys.argv[3])
new = bytes(b ^ 0x5a for b in old)
assert data.count(old) >= 1
open(sys.argv[2], "wb").write(data.replace(old, new))
EOF
wrong=$(readelf -n "$E2E_TMP/wrong_id.elf" 2>/dev/null | sed -n 's/^.*Build ID: *//p')
if [ -z "$wrong" ] || [ "$wrong" = "$bid" ] || ! readelf -S "$E2E_TMP/wrong_id.elf" | grep -q '\.symtab'; then
	fail wrong_build_id "could not make a copy of sym_inline with another build id (got '$wrong')"
elif start_py FIXED "$E2E_TMP/fixed.py" "$E2E_TMP/wrong_id.elf"; then
	mkdir -p "$E2E_TMP/cache4"
	debuginfod_env "$FIXED" "$E2E_TMP/cache4"
	if profile wrong_id -t cpu -v -d 2 -- "$WL/sym_inline_stripped" 2; then
		why=()
		has_line "$E2E_TMP/wrong_id.err" "^cprof-bpf: debuginfod: .*/sym_inline_stripped: fetched .*/$bid/debuginfo in" ||
			why+=("-v did not say the file was fetched")
		has_line "$E2E_TMP/wrong_id.err" "symbolizer: .*/$bid/debuginfo: build id differs, ignored" ||
			why+=("-v did not say the file was rejected for its build id")
		[ ${#why[@]} -gt 0 ] && show_err wrong_id
		check_unnamed wrong_build_id "$PROF" "${why[@]}"
	fi
else
	fail wrong_build_id "the python3 file server did not start: $(tail -1 "$E2E_TMP/FIXED_PID.log")"
fi
e2e_exit
