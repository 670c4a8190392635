#!/usr/bin/env bash
# cprof-bpf --http against hostile or careless clients, on a real run (-t cpu -p sleeper):
# a non-loopback address without --http-token-file is a usage error; with a token, every
# request (the index too) needs it (401 otherwise); bounds and malformed requests are
# refused with Go's error replies (400, 405, 414/431); past --http-max-requests a request
# gets 503, and a window its client left frees its place; clients that send nothing, stop
# half-way or never read their reply cost nobody else an answer, and are closed after the
# idle timeout (CPROF_HTTP_IDLE_TIMEOUT=2 here, not 30 s); SIGTERM with a window open
# answers it with what it saw and exits 0 at once.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/serve.bash"
require_binary sleeper
command -v curl >/dev/null || skip_all "curl is not installed (apt-get install curl)"
command -v ss >/dev/null || skip_all "ss is not installed (apt-get install iproute2)"
require_bpf cpu
require_pprof

start_bg idle "$WL/sleeper" 300

# ---- a non-loopback address needs a token --------------------------------------------------
for addr in 0.0.0.0:0 '[::]:0' 192.0.2.1:6060; do
	run_cprof refuse 30 --http "$addr" -t cpu -p "$idle" -d 1 -o "$E2E_TMP/refuse"
	why=()
	[ "$RC" -eq 2 ] || why+=("exit status $RC, want 2")
	n=$(wc -l <"$E2E_TMP/refuse.err")
	[ "$n" -eq 1 ] || why+=("$n lines on stderr, want one")
	grep -q -- '--http-token-file' "$E2E_TMP/refuse.err" || why+=("stderr does not name --http-token-file")
	[ ! -e "$E2E_TMP/refuse" ] || why+=("an output directory was made")
	[ ${#why[@]} -gt 0 ] && show_err refuse
	verdict "refused/$addr" "exit $RC: $(head -1 "$E2E_TMP/refuse.err")" "${why[@]}"
done

# ---- a token-guarded server on every address ------------------------------------------------
token=$(head -c 24 /dev/urandom | base64 | tr '/+' '_-')
printf '%s\n' "$token" >"$E2E_TMP/token"
chmod 600 "$E2E_TMP/token"
AUTH=(-H "Authorization: Bearer $token")
export CPROF_HTTP_IDLE_TIMEOUT=2
serve_start sec --http 0.0.0.0:0 --http-token-file "$E2E_TMP/token" --http-max-requests 2 \
	--http-max-seconds 29 -t cpu -p "$idle" -o "$E2E_TMP/sec" || e2e_exit
unset CPROF_HTTP_IDLE_TIMEOUT
port=${URL#http://127.0.0.1:}
port=${port%%/*}

# expect CHECK STATUS BODY-START PATH [CURL-ARGS...]: GET PATH gives STATUS, and an error
# reply (Go's: text/plain, X-Go-Pprof, one line) whose text starts with BODY-START.
# The reply is kept as CHECK with '/' made '_' (see http).
expect() {
	local name=$1 status=$2 text=$3 path=$4 why=()
	shift 4
	http "${name//\//_}" "$path" "$@"
	[ "$CODE" = "$status" ] || why+=("status $CODE, want $status")
	[[ $BODY == "$text"* ]] || why+=("text '$BODY', want '$text...'")
	check_error_reply why "${name//\//_}"
	verdict "$name" "$CODE '$BODY'" "${why[@]}"
}

# Without the token, with a wrong one, one of another scheme: 401 and how to authenticate.
wrong=${token%?}x
[ "$wrong" != "$token" ] || wrong=${token%?}y
expect auth/none 401 'unauthorized: send Authorization: Bearer' ''
expect auth/none_profile 401 'unauthorized' 'profile?seconds=1'
expect auth/wrong 401 'unauthorized' '' -H "Authorization: Bearer $wrong"
expect auth/prefix 401 'unauthorized' '' -H "Authorization: Bearer ${token%?}"
expect auth/longer 401 'unauthorized' '' -H "Authorization: Bearer ${token}x"
expect auth/basic 401 'unauthorized' '' -u "user:$token"
v=$(header auth_none WWW-Authenticate)
why=()
[ "$v" = Bearer ] || why+=("WWW-Authenticate '$v', want Bearer")
verdict auth/www_authenticate "WWW-Authenticate: $v" "${why[@]}"

# With it: the index (HTML) and a profile; the scheme's case does not matter.
http index '' "${AUTH[@]}"
why=()
[ "$CODE" = 200 ] || why+=("status $CODE")
[ "$(header index Content-Type)" = "text/html; charset=utf-8" ] || why+=("Content-Type '$(header index Content-Type)'")
[ "$(header index X-Content-Type-Options)" = nosniff ] || why+=("no X-Content-Type-Options: nosniff")
grep -q "processes $idle (sleeper)" "$E2E_TMP/index.body" || why+=("the index does not name pid $idle (sleeper)")
# The CPU profile is linked with the longest window this run serves (29 s, not Go's 30).
grep -q 'href="profile?seconds=29"' "$E2E_TMP/index.body" || why+=("the index does not link profile?seconds=29")
verdict auth/token_index "status $CODE with the token" "${why[@]}"
# Go's mux sends /debug/pprof to the index; every reply carries nosniff, this one too.
saved=$URL
URL=${URL%/debug/pprof}
http redirect debug/pprof "${AUTH[@]}"
URL=$saved
why=()
[ "$CODE" = 301 ] || why+=("status $CODE")
[ "$(header redirect Location)" = /debug/pprof/ ] || why+=("Location '$(header redirect Location)'")
[ "$(header redirect X-Content-Type-Options)" = nosniff ] || why+=("no X-Content-Type-Options: nosniff")
verdict auth/redirect "/debug/pprof: $CODE to $(header redirect Location)" "${why[@]}"
http lower 'profile?seconds=1' -H "Authorization: bearer $token"
why=()
[ "$CODE" = 200 ] || why+=("status $CODE")
check_profile_reply why lower profile
verdict auth/token_profile "status $CODE for 'bearer' in lower case, a profile" "${why[@]}"

# ---- bounds and malformed requests -----------------------------------------------------------
expect bounds/seconds 400 'profile duration 99999s exceeds --http-max-seconds (29)' \
	'profile?seconds=99999' "${AUTH[@]}"
# No seconds, or <= 0: Go's 30 s, just past the limit of this run.
expect bounds/default_seconds 400 'profile duration 30s exceeds --http-max-seconds (29)' \
	profile "${AUTH[@]}"
expect bounds/zero_seconds 400 'profile duration 30s exceeds --http-max-seconds (29)' \
	'profile?seconds=0' "${AUTH[@]}"
expect bounds/heap_zero_seconds 400 'invalid value for "seconds" - must be a positive integer' \
	'heap?seconds=0' "${AUTH[@]}"
expect bounds/bad_escape 400 'malformed query string' 'profile?seconds=%zz' "${AUTH[@]}"
expect bounds/pid_negative 400 'invalid value for "pid" - must be a process id' \
	'profile?pid=-1' "${AUTH[@]}"
expect bounds/pid_twice 400 'parameter "pid" given more than once' 'profile?pid=1&pid=2' \
	"${AUTH[@]}"
expect bounds/nul 400 'malformed query string' 'profile?seconds=1%00junk' "${AUTH[@]}"
long=$(printf 'x%.0s' {1..1100})
expect bounds/query_1100 400 'query string longer than 1024 bytes' "profile?a=$long" "${AUTH[@]}"
# 2000 bytes: past the request target's limit (1280) before the query is looked at.
long=$(printf 'x%.0s' {1..2000})
expect bounds/query_2000 414 'request target too long' "profile?a=$long" "${AUTH[@]}"
expect bounds/post 405 'method POST not allowed: GET or HEAD' '' "${AUTH[@]}" -X POST -d x=1
v=$(header bounds_post Allow)
why=()
[ "$v" = "GET, HEAD" ] || why+=("Allow '$v', want 'GET, HEAD'")
verdict bounds/allow "Allow: $v" "${why[@]}"
# 40 KB: more than a connection's memory; libmicrohttpd itself refuses it.
long=$(head -c 40000 /dev/zero | tr '\0' a)
http huge "?a=$long" "${AUTH[@]}"
huge=$CODE
why=()
[ "$huge" = 414 ] || [ "$huge" = 431 ] || why+=("status $huge, want 414 or 431")
http after_huge '' "${AUTH[@]}"
[ "$CODE" = 200 ] || why+=("the next request got $CODE")
verdict bounds/target_40k "40 KB target: $huge, the next request: $CODE" "${why[@]}"

# ---- --http-max-requests 2 -------------------------------------------------------------------
# windows_open N: N connections to the server whose request it has read (nothing queued).
# no_connections: the server has no connection left, in any state.
windows_open() {
	[ "$(ss -Htn state established "( sport = :$port )" | awk '$1 == 0' | wc -l)" -ge "$1" ]
}
no_connections() { [ -z "$(ss -Htn "( sport = :$port )")" ]; }

# open_two NAME SECS: requests NAME1 and NAME2 for profile?seconds=SECS in the background
# (their curl pids in W1 and W2); appends to why if the server has not read both in 10 s.
open_two() {
	http_bg "${1}1" "profile?seconds=$2" "${AUTH[@]}"
	W1=$HTTP_PID
	http_bg "${1}2" "profile?seconds=$2" "${AUTH[@]}"
	W2=$HTTP_PID
	wait_until 10 windows_open 2 || why+=("the two windows were not open within 10 s")
}

why=()
open_two win 5
w1=$W1 w2=$W2
sleep 0.3
expect limit/third 503 'too many requests at once (--http-max-requests 2): retry later' '' "${AUTH[@]}"
wait "$w1" "$w2"
[ "$(http_code win1)" = 200 ] && [ "$(http_code win2)" = 200 ] ||
	why+=("the windows got $(http_code win1) and $(http_code win2)")
http after_limit '' "${AUTH[@]}"
[ "$CODE" = 200 ] || why+=("a request after they ended got $CODE")
verdict limit/windows "two 5 s windows: $(http_code win1), $(http_code win2); then $CODE" "${why[@]}"

# Clients that leave their window (go tool pprof stopped by Ctrl-C) free their places at
# once, as Go's handlers end a profile whose request is cancelled.
why=()
open_two gone 20
kill "$W1" "$W2"
wait "$W1" "$W2" 2>/dev/null
t0=$(now_ms)
wait_until 3 no_connections ||
	why+=("their connections are still open 3 s after the clients left: $(ss -Htn "( sport = :$port )" | awk '{ print $1 }' | tr '\n' ' ')")
http after_gone '' "${AUTH[@]}"
[ "$CODE" = 200 ] || why+=("a request after they left got $CODE")
verdict limit/abandoned "two 20 s windows left by their clients: closed in $(($(now_ms) - t0)) ms, then $CODE" "${why[@]}"

# ---- slow clients ---------------------------------------------------------------------------
# One that connects and sends nothing, one that stops in the middle of its request line,
# one that asks for a profile and never reads: others are answered meanwhile, and the first
# two are closed after the idle timeout (2 s).
exec {silent}<>"/dev/tcp/127.0.0.1/$port"
exec {partial}<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /debug/pprof/ HT' >&"$partial"
exec {deaf}<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /debug/pprof/profile?seconds=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' \
	"$token" >&"$deaf"
t0=$(now_ms)
http slow_others '' "${AUTH[@]}"
why=()
[ "$CODE" = 200 ] || why+=("a request among them got $CODE")
for c in silent partial; do
	# read returns 1 at end of file (closed), > 128 on its own timeout.
	read -r -t 8 -u "${!c}" _
	rc=$?
	ms=$(($(now_ms) - t0))
	[ "$rc" -eq 1 ] || why+=("the $c client was not closed within 8 s (read status $rc)")
	[ "$rc" -ne 1 ] || [ "$ms" -ge 1500 ] || why+=("the $c client was closed after only $ms ms")
done
exec {silent}>&- {partial}>&-
sleep 1.5	# the deaf client's window ends; its reply waits in the socket
http slow_after '' "${AUTH[@]}"
[ "$CODE" = 200 ] || why+=("a request after the deaf client's window got $CODE")
exec {deaf}>&-
verdict slow_clients "others answered; idle clients closed after ~2 s (last at $ms ms)" "${why[@]}"

# A window longer than the idle timeout is not cut by it: the request is suspended, not idle.
http long_window 'profile?seconds=4' "${AUTH[@]}"
why=()
[ "$CODE" = 200 ] || why+=("status $CODE")
d=$(profile_secs "$E2E_TMP/long_window.body")
within "$d" 4 10 || why+=("duration $d s, want 4")
verdict window_past_idle_timeout "a 4 s window with a 2 s idle timeout: $CODE, duration $d s" "${why[@]}"

# ---- SIGTERM with a window open --------------------------------------------------------------
http_bg term 'profile?seconds=20' "${AUTH[@]}"
tp=$HTTP_PID
wait_until 10 windows_open 1
sleep 1
kill -TERM "$CPROF_PID"
wait_exit "$CPROF_PID" 5
wait "$tp"
why=()
[ "$RC" -eq 0 ] || why+=("exit status $RC")
[ "$ELAPSED_MS" -le 2500 ] || why+=("exited ${ELAPSED_MS} ms after SIGTERM")
[ "$(http_code term)" = 200 ] || why+=("the open window got $(http_code term)")
d=$(profile_secs "$E2E_TMP/term.body")
fcmp "$d >= 0.5 && $d < 5" || why+=("its profile covers '$d' s, want the ~1 s it was open")
[ -s "$E2E_TMP/sec/cpu.pb.gz" ] && pprof_top "$E2E_TMP/sec/cpu.pb.gz" >/dev/null ||
	why+=("no readable cpu.pb.gz")
[ ${#why[@]} -gt 0 ] && show_err sec
verdict sigterm_window "exit $RC after ${ELAPSED_MS} ms; the window: $(http_code term), $d s; cpu.pb.gz written" "${why[@]}"
e2e_exit
