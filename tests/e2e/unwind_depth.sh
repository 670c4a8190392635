#!/usr/bin/env bash
# --max-depth: a 200-deep recursion (205 user frames, no frame pointers) is unwound to its
# root with --max-depth 256, and cut at 128 frames by default, counted as truncated with the
# reason "depth limit" named in the summary.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_recurse
require_bpf
require_pprof

secs=4
depth=200

if uw_profile deep256 --max-depth 256 -- "$WL/uw_recurse" "$depth" "$secs"; then
	uw_check_root max256/root deep256
	uw_check_stacks max256/stacks leaf_hot "leaf_hot;$(uw_repeat "$depth" 'recurse;')$UW_LIBC_MAIN"
fi

if uw_profile deep128 -- "$WL/uw_recurse" "$depth" "$secs"; then
	# Every sample in leaf_hot stops after 128 frames: leaf_hot and 127 × recurse.
	# (through the environment: awk -v would take the backslashes of a regex as escapes)
	read -r nhot ncut < <(CUT="leaf_hot;$(uw_repeat 127 'recurse;')[truncated]" awk -F '\t' '
		$3 ~ /(^|;)leaf_hot;/ {
			hot += $1
			c = ENVIRON["CUT"]; at = length($3) - length(c)
			if (at >= 0 && substr($3, at + 1) == c && (at == 0 || substr($3, at, 1) == ";"))
				n += $1
		}
		END { print hot + 0, n + 0 }' <<<"$TRACES")
	reason=$(grep -m1 'truncated: depth limit' "$E2E_TMP/deep128.err" | sed 's/^ *//')
	why=()
	[ "$nhot" -ge 100 ] || why+=("$nhot samples in leaf_hot, want ≥ 100")
	fcmp "$ncut >= 0.99 * $nhot" || why+=("$ncut of $nhot samples in leaf_hot cut after 128 frames, want ≥ 99%")
	[[ "$reason" == *uw_recurse* ]] ||
		why+=("the summary names no depth-limit truncation in uw_recurse: $(uw_truncation_reasons deep128)")
	verdict max128/truncated "$ncut of $nhot samples in leaf_hot cut at 128 frames; summary: $reason" "${why[@]}"
fi
e2e_exit
