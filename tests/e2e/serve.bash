# Shared by the /debug/pprof server tests (sourced after lib.bash; tests/run runs *.sh only):
# starting cprof-bpf --http on a port of its choosing, and requests with curl (status,
# headers, body) or with go tool pprof, the client a Go program's profiles are read with.
# shellcheck disable=SC2034

# serve_start NAME ARGS...: cprof-bpf --http 127.0.0.1:0 ARGS in the background (as
# start_cprof_bg NAME); once it says it is profiling, sets URL to its
# http://127.0.0.1:PORT/debug/pprof (from its "serving" line, whatever address it was given)
# and returns 0. FAILs NAME and returns 1 if it does not get there within 60 s.
serve_start() {
	local name=$1 port
	shift
	URL=
	start_cprof_bg "$name" "$@"
	# Replies come from the run's loop: on a machine that the workloads (and whatever else
	# runs there) keep busy, the loop would wait for a CPU at each step of a request and a
	# window would end late. Ahead of them, it answers on time, as the checks want.
	renice -n -10 -p "$CPROF_PID" >/dev/null 2>&1
	if ! wait_ready "$name" 60; then
		show_err "$name"
		fail "$name" "cprof-bpf $* did not say it was profiling within 60 s"
		return 1
	fi
	port=$(sed -n 's|^cprof-bpf: serving http://.*:\([0-9][0-9]*\)/debug/pprof/.*|\1|p' \
		"$E2E_TMP/$name.err" | head -1)
	if [ -z "$port" ]; then
		show_err "$name"
		fail "$name" "cprof-bpf $* is profiling but did not say where it serves"
		return 1
	fi
	URL=http://127.0.0.1:$port/debug/pprof
}

# http NAME PATH [CURL-ARGS...]: GET $URL/PATH with curl (60 s at most). The body goes to
# $E2E_TMP/NAME.body, the headers to NAME.hdr; sets CODE (000: no reply) and BODY (the
# body's first line, for text replies).
http() {
	local name=$1 path=$2
	shift 2
	CODE=$(curl -sS -m 60 -o "$E2E_TMP/$name.body" -D "$E2E_TMP/$name.hdr" \
		-w '%{http_code}' "$@" "$URL/$path" 2>"$E2E_TMP/$name.curl")
	[ -n "$CODE" ] || CODE=000
	BODY=$(head -1 "$E2E_TMP/$name.body" 2>/dev/null | tr -d '\r\0' | cut -c1-300)
}

# http_bg NAME PATH [CURL-ARGS...]: the same in the background; http_code NAME once it ended
# gives the status. The job's pid is in HTTP_PID.
http_bg() {
	local name=$1 path=$2
	shift 2
	curl -sS -m 60 -o "$E2E_TMP/$name.body" -D "$E2E_TMP/$name.hdr" -w '%{http_code}' \
		"$@" "$URL/$path" >"$E2E_TMP/$name.code" 2>"$E2E_TMP/$name.curl" &
	HTTP_PID=$!
	E2E_PIDS+=("$HTTP_PID")
}
http_code() { grep . "$E2E_TMP/$1.code" 2>/dev/null || echo 000; }

# header NAME FIELD: the value of header FIELD in the reply NAME (case-insensitive name).
header() {
	awk -v f="$(tr 'A-Z' 'a-z' <<<"$2")" -F ': ' '
		{ sub(/\r$/, "") }
		tolower($1) == f { sub(/^[^:]*: /, ""); print; exit }' "$E2E_TMP/$1.hdr"
}

# check_error_reply WHY-ARRAY NAME: the reply NAME is an error as Go's serveError sends it:
# text/plain; charset=utf-8, X-Go-Pprof: 1, nosniff, one line. Appends to the array named
# WHY-ARRAY what is not so.
check_error_reply() {
	local -n errs=$1
	local name=$2 v
	v=$(header "$name" Content-Type)
	[ "$v" = "text/plain; charset=utf-8" ] || errs+=("Content-Type '$v'")
	v=$(header "$name" X-Go-Pprof)
	[ "$v" = 1 ] || errs+=("X-Go-Pprof '$v', want 1")
	v=$(header "$name" X-Content-Type-Options)
	[ "$v" = nosniff ] || errs+=("X-Content-Type-Options '$v'")
	v=$(wc -l <"$E2E_TMP/$name.body")
	[ "$v" -eq 1 ] || errs+=("a body of $v lines, want one")
}

# check_profile_reply WHY-ARRAY NAME FILENAME: the reply NAME is a profile: status 200,
# application/octet-stream, attachment "FILENAME", nosniff, gzip data.
check_profile_reply() {
	local -n errs=$1
	local name=$2 v
	v=$(header "$name" Content-Type)
	[ "$v" = application/octet-stream ] || errs+=("Content-Type '$v'")
	v=$(header "$name" Content-Disposition)
	[ "$v" = "attachment; filename=\"$3\"" ] || errs+=("Content-Disposition '$v', want filename \"$3\"")
	v=$(header "$name" X-Content-Type-Options)
	[ "$v" = nosniff ] || errs+=("X-Content-Type-Options '$v'")
	gzip -t "$E2E_TMP/$name.body" 2>/dev/null || errs+=("the body is no gzip data")
}

# pprof_get NAME URL [PPROF-ARGS...]: `go tool pprof -raw` fetches URL; the profile it saves
# becomes $E2E_TMP/NAME.pb.gz, its output NAME.raw, its stderr NAME.pprof. Returns pprof's
# exit status (1 as well when it saved nothing).
pprof_get() {
	local name=$1 url=$2 dir=$E2E_TMP/pprof-$1 saved rc
	shift 2
	mkdir -p "$dir"
	PPROF_TMPDIR=$dir timeout -k 5 90 "$GO" tool pprof -raw -symbolize=none "$@" "$url" \
		>"$E2E_TMP/$name.raw" 2>"$E2E_TMP/$name.pprof"
	rc=$?
	saved=$(sed -n 's/^Saved profile in //p' "$E2E_TMP/$name.pprof" | head -1)
	[ -n "$saved" ] && [ -s "$saved" ] && mv "$saved" "$E2E_TMP/$name.pb.gz"
	[ "$rc" -eq 0 ] && [ -s "$E2E_TMP/$name.pb.gz" ] && return 0
	return $((rc ? rc : 1))
}

# raw_field FILE FIELD: a header line of `go tool pprof -raw` FILE (Time, Duration, Period...),
# read once per file (FILE.head).
raw_field() {
	[ -s "$1.head" ] || profile_raw "$1" | sed '/^Samples:/q' >"$1.head"
	sed -n "s/^$2: //p" "$1.head" | head -1
}

# profile_time FILE: the profile's time_nanos as epoch seconds (0 if unreadable).
profile_time() {
	local t
	t=$(raw_field "$1" Time | sed 's/ UTC$//')
	date -d "$t" +%s.%N 2>/dev/null || echo 0
}

# profile_secs FILE: the profile's duration in seconds (pprof -raw prints 4 characters of
# Go's duration text, "3.00" for 3.004s; a duration under a second is "951." of 951.3ms, a
# zero one absent or "0s"); "" when unreadable.
profile_secs() {
	local d
	d=$(raw_field "$1" Duration)
	case $d in
	'' | 0s) echo 0 ;;
	*ms | *µs | *ns) echo 0 ;;
	*.) echo "0.$(printf '%03d' "${d%.}")" ;;
	*[0-9]) echo "$d" ;;
	*) echo "${d%s}" ;;
	esac
}
