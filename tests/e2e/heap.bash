# Shared by the heap e2e scripts (sourced after lib.bash): reading heap profiles and checking
# the retain/churn and kinds ground truth of build/workloads/heap* (see heap.c).
MIB=1048576

# heap_value FILE INDEX FUNC: FUNC's flat value (bytes or count) in sample type INDEX.
# heap_cum FILE INDEX FUNC: FUNC's cumulative value.
# Both print 0 for a function not in the profile, and return pprof's exit status.
heap_column() {
	"$GO" tool pprof -top -nodecount=100000 -nodefraction=0 -unit=B -sample_index="$2" \
		-symbolize=none "$1" 2>"$PPROF_ERR" | awk -v fn="$3" -v col="$4" '
		/^ *flat  *flat%/ { table = 1; next }
		table && NF >= 6 {
			name = $6
			for (i = 7; i <= NF; i++) name = name " " $i
			if (name == fn) v += $col + 0
		}
		END { printf "%d\n", v }'
	return "${PIPESTATUS[0]}"
}
heap_value() { heap_column "$1" "$2" "$3" 1; }
heap_cum() { heap_column "$1" "$2" "$3" 4; }

# run_heap NAME ARGS...: cprof-bpf -t heap ARGS; FAILs (and returns 1) without a profile.
run_heap() {
	local name=$1
	shift
	run_cprof "$name" 120 -t heap -o "$E2E_TMP/$name" "$@"
	if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/$name/heap.pb.gz" ]; then
		show_err "$name"
		fail "$name" "cprof-bpf -t heap $* exited $RC; no heap.pb.gz"
		return 1
	fi
}

# check_retain_churn NAME WORKLOAD [MODE]: WORKLOAD MODE (main: one thread; threads: four at
# once) at --heap-rate 65536: retain_blocks holds 64 MiB (±15%), churn allocated 1 GiB
# (±15%) and holds ~0 at the end.
check_retain_churn() {
	local name=$1 prof
	run_heap "$name" --heap-rate 65536 -- "$WL/$2" "${3:-main}" || return 1
	prof=$E2E_TMP/$name/heap.pb.gz
	check_count "$name/retain" "$(heap_cum "$prof" inuse_space retain_blocks)" $((64 * MIB)) 15 \
		"bytes in use under retain_blocks"
	check_count "$name/churn" "$(heap_cum "$prof" alloc_space churn)" $((1024 * MIB)) 15 \
		"bytes allocated under churn"
	check_freed "$name/churn_inuse" "$prof" churn cum
}

# check_freed CHECK PROFILE FUNC flat|cum: FUNC allocated (alloc_space > 0) and holds ~0 at
# the end (inuse_space ≤ 512 KiB): what it allocated was seen freed. A function the profile
# lacks allocated nothing, and that is a failure, not an empty in-use figure.
check_freed() {
	local name=$1 prof=$2 fn=$3 col=4 alloc inuse why=()
	[ "$4" = flat ] && col=1
	alloc=$(heap_column "$prof" alloc_space "$fn" "$col") &&
		inuse=$(heap_column "$prof" inuse_space "$fn" "$col") ||
		why+=("go tool pprof cannot read $prof: $(head -1 "$PPROF_ERR")")
	[ "${alloc:-0}" -gt 0 ] || why+=("$fn allocated nothing: nothing to see freed")
	[ "${inuse:-0}" -le $((MIB / 2)) ] || why+=("$fn holds $inuse bytes at the end, want ~0")
	verdict "$name" "${inuse:-?} of ${alloc:-?} bytes allocated $([ "$4" = flat ] && echo by || echo under) $fn still in use" "${why[@]}"
}

# check_kinds NAME WORKLOAD: WORKLOAD kinds at --heap-rate 16384, checked by check_kinds_profile.
check_kinds() {
	local name=$1
	run_heap "$name" --heap-rate 16384 -- "$WL/$2" kinds || return 1
	check_kinds_profile "$name" "$E2E_TMP/$name/heap.pb.gz"
}

# check_kinds_profile NAME FILE: the heap profile of `heap kinds` at --heap-rate 16384: calloc,
# a realloc growth chain and posix_memalign (see heap.c), cumulative so that an allocator
# function calling another (tcmalloc's posix_memalign calls its memalign) is still counted
# once, under it.
check_kinds_profile() {
	local name=$1 prof=$2
	check_count "$name/calloc" "$(heap_cum "$prof" inuse_space calloc_blocks)" $((16 * MIB)) 15 \
		"bytes in use under calloc_blocks"
	check_count "$name/realloc" "$(heap_cum "$prof" alloc_space realloc_chain)" \
		$((64 * 511 * 1024 + 64 * 8)) 15 "bytes allocated under realloc_chain"
	check_count "$name/posix_memalign" "$(heap_cum "$prof" inuse_space memalign_blocks)" \
		$((16 * MIB + 512 * 8)) 15 "bytes in use under memalign_blocks"
}
