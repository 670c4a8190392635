# Shared by the symbolizer's end-to-end tests (sourced after lib.bash; tests/run runs
# tests/e2e/*.sh only): what the profile's Locations say, line by line.

# profile NAME ARGS...: cprof-bpf -o DIR ARGS; sets PROF, or FAILs NAME and returns 1.
profile() {
	local name=$1
	shift
	run_cprof "$name" 60 -o "$E2E_TMP/$name" "$@"
	PROF=$E2E_TMP/$name/cpu.pb.gz
	if [ "$RC" -ne 0 ] || [ ! -s "$PROF" ]; then
		show_err "$name"
		fail "$name" "cprof-bpf $* exited $RC; profile $([ -s "$PROF" ] && echo written || echo missing)"
		return 1
	fi
}

# leaf_locations PROFILE: one line per distinct leaf location of the samples,
#   COUNT <tab> FUNC FILE:LINE s=START | FUNC FILE:LINE s=START ...
# (its Lines innermost first, as `go tool pprof -raw` prints them), largest count first;
# pprof's exit status.
leaf_locations() {
	"$GO" tool pprof -raw -symbolize=none "$1" 2>"$PPROF_ERR" | awk '
		/^Samples:/ { sec = "s"; next }
		/^Locations/ { sec = "l"; next }
		/^Mappings/ { sec = "m"; next }
		sec == "s" && /^ +[0-9]+ +[0-9]+: / {
			count = $1
			sub(/^[^:]*: */, "")
			split($0, ids, " ")
			leaf[ids[1]] += count
			next
		}
		sec == "l" && /^ +[0-9]+: 0x/ {
			cur = $1; sub(":", "", cur)
			l = $0; sub(/^ +[0-9]+: 0x[0-9a-f]+ M=[0-9]+ /, "", l)
			lines[cur] = l
			next
		}
		sec == "l" && cur != "" && /^          +[^ ]/ {
			l = $0; sub(/^ +/, "", l)
			lines[cur] = lines[cur] " | " l
		}
		END { for (id in leaf) print leaf[id] "\t" lines[id] }' | sort -t "$(printf '\t')" -k1,1nr
	return "${PIPESTATUS[0]}"
}

# marker_lines FILE MARKER: the line numbers of FILE whose text contains MARKER, as a
# regexp alternative ("18|19|20").
marker_lines() {
	grep -n -- "$2" "$1" | cut -d: -f1 | paste -sd '|'
}

# def_line FILE TEXT: the first line of FILE that contains TEXT.
def_line() {
	grep -n -F -- "$2" "$1" | head -1 | cut -d: -f1
}
