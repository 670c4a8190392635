#!/usr/bin/env bash
# A stack no unwinder can follow is reported as truncated, with a reason and the object, not
# as complete: uw_broken calls its hot function through machine code in an anonymous
# mapping (as a JIT would) that has no unwind tables and uses rbp as a plain register; the
# summary's share of stacks with frame-pointer fallback covers those stacks.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_broken
require_bpf
require_pprof

if uw_profile broken -- "$WL/uw_broken" 4; then
	read -r nhot ntrunc example < <(awk -F '\t' '
		$3 ~ /(^|;)jit_hot;/ {
			hot += $1
			nf = split($3, fr, ";")
			if (fr[nf] == "[truncated]") trunc += $1
			else if (ex == "") ex = $3
		}
		END { print hot + 0, trunc + 0, ex }' <<<"$TRACES")
	reason=$(grep -m1 'truncated: .* in \[anon\]' "$E2E_TMP/broken.err" | sed 's/^ *//')
	why=()
	[ "$nhot" -ge 100 ] || why+=("$nhot samples in jit_hot, want ≥ 100")
	fcmp "$ntrunc >= 0.99 * $nhot" ||
		why+=("$((nhot - ntrunc)) of $nhot samples in jit_hot claim a complete stack, e.g. $example")
	[ -n "$reason" ] ||
		why+=("the summary names no truncation in [anon]: $(uw_truncation_reasons broken)")
	verdict truncated "$ntrunc of $nhot samples in jit_hot marked [truncated]; summary: $reason" "${why[@]}"
	# Every stack through the stub took a frame-pointer step for want of tables, and the
	# summary says so (but for a sample or two in 2000 that stopped before the stub).
	total=$(traces_count '1' <<<"$TRACES")
	fp=$(uw_fp_share broken)
	want=$(pct "$nhot" "$total")
	if [ -n "$fp" ] && fcmp "$fp >= $want - 0.2"; then
		pass fp_fallback "summary: $fp% of $total stacks with frame-pointer fallback, $want% in jit_hot"
	else
		fail fp_fallback "summary: ${fp:-no}% of $total stacks with frame-pointer fallback, want ≥ $want% (those in jit_hot); $UW_SUMMARY"
	fi
fi
e2e_exit
