# Shared by the fault tests (tests/e2e/fault_*.sh), sourced after lib.bash. fault_img_a and
# fault_img_b are the same code at the same offsets under two names
# (tests/workloads/faults/fault_img.c): a frame resolved in the other's file gets the other's
# name; check_image tells.
#
# The caller sets hz (the -F of its runs).
# shellcheck disable=SC2034

tol=20
unnamed='^(\[unmapped\]|(app|fault_img_[ab])\+0x)'

# check_image CHECK TRACES FILTER HOT OTHER CPU: the samples for which the awk condition
# FILTER holds (lab: ",LABELS,") contain HOT in HZ × CPU of them (±tol%), none contains OTHER (nor
# short_hot, the program left at the path), and none has an unnamed frame in the images.
check_image() {
	local name=$1 traces=$2 filter=$3 hot=$4 other=$5 cpu=$6 counts all n wrong bad ex want why=()
	counts=$(awk -F '\t' -v hot="$hot" -v other="$other" -v re="$unnamed" '
		{ lab = "," $2 "," }
		!('"$filter"') { next }
		{
			all += $1; nf = split($3, fr, ";"); h = w = b = 0
			for (i = 1; i <= nf; i++) {
				if (fr[i] == hot) h = 1
				if (fr[i] == other || fr[i] == "short_hot") w = 1
				if (fr[i] ~ re) b = 1
			}
			n += h * $1; wrong += w * $1; bad += b * $1
			if ((w || b) && ex == "") ex = $3
		}
		END { print all + 0, n + 0, wrong + 0, bad + 0, (ex == "" ? "-" : ex) }' <<<"$traces")
	read -r all n wrong bad ex <<<"$counts"
	want=$(awk -v c="$cpu" -v hz="$hz" 'BEGIN { printf "%d", c * hz + 0.5 }')
	within "$n" "$want" "$tol" ||
		why+=("$n samples in $hot, want $want ±$tol% ($cpu s of CPU at $hz Hz)")
	[ "$wrong" -eq 0 ] || why+=("$wrong samples named $other or short_hot, e.g. $ex")
	[ "$bad" -eq 0 ] || why+=("$bad samples with an unnamed frame, e.g. $ex")
	[ ${#why[@]} -gt 0 ] && awk -F '\t' '{ lab = "," $2 "," } '"$filter" <<<"$traces" |
		sort -rn | head -8 | cut -c1-220 | sed 's/^/    | /'
	verdict "$name" "$n of $all samples in $hot (want $want for $cpu s of CPU), $wrong named $other, $bad unnamed" "${why[@]}"
}

# traces_of NAME [RC]: pprof_traces of run NAME's profile, or FAIL NAME/run and return 1
# (unless it exited 0 or RC: 3 says a -p target exited during the run).
traces_of() {
	local prof=$E2E_TMP/$1/cpu.pb.gz
	if { [ "$RC" -ne 0 ] && [ "$RC" -ne "${2:-0}" ]; } || [ ! -s "$prof" ] || ! TRACES=$(pprof_traces "$prof"); then
		show_err "$1"
		fail "$1/run" "cprof-bpf exited $RC; $prof $([ -s "$prof" ] && echo written || echo unreadable or missing)"
		return 1
	fi
}

# cpu_of FILE IMG: the CPU seconds fault_img_IMG printed in FILE ("fault_img_a: pid P cpu C s").
cpu_of() { sed -n "s/^fault_img_$2: pid [0-9]* cpu \([0-9.]*\) s$/\1/p" "$1" | tail -1; }
