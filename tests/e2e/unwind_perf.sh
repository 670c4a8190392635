#!/usr/bin/env bash
# Cross-check with an independent unwinder: for the C and C++ workloads without frame
# pointers, the stacks of the hot samples agree with those of `perf record --call-graph
# dwarf` (8 KiB stack copies unwound offline by perf with libdw).
#
# The tools name libraries' internals differently (perf expands inlined frames: one
# msort_with_tmp.part.0 becomes several "msort_with_tmp (inlined)"; it shows
# __libc_start_main_impl, and [unknown] for __restore_rt, whose return address minus 1 is
# the byte before the symbol), so both sides are compared after a normalization: frames
# of the workload's own functions keep their names (without C++ parameter lists), each run
# of other frames becomes one "[lib]". Agreement is the overlap of the two distributions of
# normalized hot stacks (the sum over stacks of the smaller of the two shares): ≥ 95%.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_chain uw_deep uw_qsort uw_signal uw_thread
require_bpf
require_pprof
command -v perf >/dev/null 2>&1 || skip_all "perf is not installed (apt-get install linux-perf)"
if ! perf record -q -e cpu-clock -F 99 --call-graph dwarf -o "$E2E_TMP/probe.data" -- true \
	>"$E2E_TMP/perf-probe.log" 2>&1; then
	skip_all "perf record --call-graph dwarf does not run here: $(grep -m1 . "$E2E_TMP/perf-probe.log") (kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null))"
fi

secs=3

# own_names W: the workload's function names, without parameter lists, one per line.
own_names() {
	nm -C --defined-only "$WL/$1" | awk '$2 ~ /^[tTwW]$/ {
		s = $0; sub(/^[^ ]+ [^ ]+ /, "", s); sub(/\(.*$/, "", s); print s }' | sort -u
}

# normalize NAMES-FILE LEAF: reads "COUNT<tab>leaf;...;root" lines, keeps those whose first
# frame is LEAF, prints "COUNT<tab>normalized stack".
normalize() {
	awk -F '\t' -v names="$1" -v leaf="$2" '
		BEGIN { while ((getline n < names) > 0) own[n] = 1 }
		{
			nf = split($2, fr, ";")
			out = ""; prev = ""
			for (i = 1; i <= nf; i++) {
				f = fr[i]
				sub(/ \(inlined\)$/, "", f)
				sub(/\(.*$/, "", f)
				if (i == 1 && f != leaf) next
				if (!(f in own)) f = "[lib]"
				if (f == "[lib]" && prev == "[lib]") continue
				out = out (out == "" ? "" : ";") f
				prev = f
			}
			if (out != "") print $1 "\t" out
		}'
}

# perf_stacks DATA: "1<tab>leaf;...;root" per sample of perf script.
perf_stacks() {
	perf script -i "$1" -F comm,tid,ip,sym 2>/dev/null | awk '
		/^[ \t]*$/ { if (s != "") print "1\t" s; s = ""; next }
		/^[^ \t]/ { next }
		{ sub(/^[ \t]+[0-9a-f]+ /, ""); s = s (s == "" ? "" : ";") $0 }
		END { if (s != "") print "1\t" s }'
}

# overlap A B: "SHARE N_A N_B TOP_A | TOP_B" of two files of "COUNT<tab>stack" lines.
overlap() {
	awk -F '\t' '
		FNR == 1 { file++ }
		{ c[file, $2] += $1; tot[file] += $1; keys[$2] = 1 }
		END {
			for (k in keys) {
				a = tot[1] ? c[1, k] / tot[1] : 0; b = tot[2] ? c[2, k] / tot[2] : 0
				s += a < b ? a : b
				if (c[1, k] > best1) { best1 = c[1, k]; top1 = k }
				if (c[2, k] > best2) { best2 = c[2, k]; top2 = k }
			}
			printf "%.3f %d %d %s | %s\n", s, tot[1], tot[2], top1, top2
		}' "$1" "$2"
}

# cross_check W LEAF...: profiles W with both tools and compares the stacks of each LEAF.
cross_check() {
	local w=$1 leaf share na nb tops
	shift
	own_names "$w" >"$E2E_TMP/$w.names"
	if ! perf record -q -e cpu-clock -F "$UW_HZ" --call-graph dwarf -o "$E2E_TMP/$w.data" \
		-- "$WL/$w" "$secs" >"$E2E_TMP/$w.perf.log" 2>&1; then
		fail "$w" "perf record failed: $(grep -m1 . "$E2E_TMP/$w.perf.log")"
		return
	fi
	perf_stacks "$E2E_TMP/$w.data" >"$E2E_TMP/$w.perf"
	uw_profile "$w" -- "$WL/$w" "$secs" || return
	cut -f1,3 <<<"$TRACES" >"$E2E_TMP/$w.ours"
	for leaf in "$@"; do
		normalize "$E2E_TMP/$w.names" "$leaf" <"$E2E_TMP/$w.perf" >"$E2E_TMP/$w.$leaf.p"
		normalize "$E2E_TMP/$w.names" "$leaf" <"$E2E_TMP/$w.ours" >"$E2E_TMP/$w.$leaf.o"
		read -r share na nb tops < <(overlap "$E2E_TMP/$w.$leaf.o" "$E2E_TMP/$w.$leaf.p")
		if [ "$na" -lt 50 ] || [ "$nb" -lt 50 ]; then
			fail "$w/$leaf" "too few samples in $leaf to compare: cprof-bpf $na, perf $nb"
		elif fcmp "$share >= 0.95"; then
			tops=${tops%% | *}
			[ ${#tops} -gt 160 ] && tops="${tops:0:80}…${tops: -60}"
			pass "$w/$leaf" "$(pct "$share" 1)% agreement over $na cprof-bpf and $nb perf samples; both: $tops"
		else
			fail "$w/$leaf" "$(pct "$share" 1)% agreement over $na cprof-bpf and $nb perf samples, want ≥ 95%; most common: cprof-bpf ${tops%% | *}, perf ${tops##* | }"
		fi
	done
}

cross_check uw_chain hot
cross_check uw_deep leaf_hot
cross_check uw_qsort cmp_hot
cross_check uw_signal sig_hot spin_hot
cross_check uw_thread t_hot
e2e_exit
