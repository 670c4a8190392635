# Shared by the block-profile tests (sourced after lib.bash; tests/run runs *.sh only).
#
# A block profile is read with `go tool pprof -raw`, which gives the exact values (-traces
# rounds delays to units), into one line per sample:
#   CONTENTIONS <tab> DELAY_NS <tab> ,key=value,key=value, <tab> leaf;caller;...;root
# Checks then sum delays with awk conditions over those lines.
# shellcheck disable=SC2034

# block_samples FILE: the samples of block profile FILE, one line each as above; pprof's exit
# status.
block_samples() {
	"$GO" tool pprof -raw -symbolize=none "$1" 2>"$PPROF_ERR" | awk '
		# A location line: "ID: 0xADDR [M=N ]NAME FILE:LINE s=N[(SYSTEM NAME)]";
		# inlined callers follow on lines of their own, innermost first.
		function name(line) {
			sub(/^ *[0-9]+: +0x[0-9a-f]+ +/, "", line)
			sub(/^M=[0-9]+ +/, "", line)
			sub(/^\[F\] +/, "", line)
			sub(/^ +/, "", line)
			sub(/ +[^ ]*:-?[0-9]+ +s=-?[0-9]+(\(.*\))?$/, "", line)
			return line
		}
		/^Samples:/ { sec = "s"; getline; next }
		/^Locations/ { sec = "l"; next }
		/^Mappings/ { sec = ""; next }
		sec == "s" && /^ *-?[0-9]+ +-?[0-9]+: / {
			n++
			c[n] = $1 + 0; d[n] = $2 + 0; lab[n] = ","
			line = $0; sub(/^[^:]*: */, "", line); locs[n] = line
			next
		}
		# Labels: "key:[value] key:[value]"; a value may hold brackets ("[interrupt]").
		sec == "s" && /^ +[A-Za-z_][A-Za-z_0-9]*:\[/ {
			line = $0
			sub(/^ +/, "", line)
			sub(/ +$/, "", line)
			while ((i = index(line, ":[")) > 0) {
				key = substr(line, 1, i - 1)
				rest = substr(line, i + 2)
				if (match(rest, /\] [A-Za-z_][A-Za-z_0-9]*:\[/)) {
					val = substr(rest, 1, RSTART - 1)
					line = substr(rest, RSTART + 2)
				} else {
					val = rest
					sub(/\]$/, "", val)
					line = ""
				}
				lab[n] = lab[n] key "=" val ","
			}
			next
		}
		sec == "l" && /^ *[0-9]+: / { id = $1 + 0; fn[id] = name($0); next }
		sec == "l" && /^ +[^ ]/ { fn[id] = fn[id] ";" name($0); next }
		END {
			for (i = 1; i <= n; i++) {
				m = split(locs[i], ids, " ")
				st = ""
				for (j = 1; j <= m; j++)
					st = st (st == "" ? "" : ";") fn[ids[j] + 0]
				printf "%.0f\t%.0f\t%s\t%s\n", c[i], d[i], lab[i], st
			}
		}'
	return "${PIPESTATUS[0]}"
}

# delay_sum AWK-CONDITION < SAMPLES: total delay (ns) of the samples for which the awk
# condition holds, with lab (",k=v,...,"), stack ("a;b;c"), fr[1..nf] and cnt in scope.
delay_sum() {
	awk -F '\t' '
		{ cnt = $1; lab = $3; stack = $4; nf = split(stack, fr, ";") }
		'"$1"' { s += $2 }
		END { printf "%.0f\n", s }'
}

# secs NS: nanoseconds as seconds, three decimals.
secs() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }

# profile_duration FILE: the profile's Duration in nanoseconds (0 if unreadable).
profile_duration() {
	profile_raw "$1" | awk '/^Duration:/ { printf "%.0f\n", $2 * 1e9; found = 1; exit }
		END { if (!found) print 0 }'
}

# check_delay CHECK GOT_NS WANT_NS TOLERANCE_PCT WHAT: GOT within ±TOLERANCE_PCT% of WANT.
check_delay() {
	local lo hi
	lo=$(awk -v w="$3" -v t="$4" 'BEGIN { printf "%.3f", w * (1 - t / 100) / 1e9 }')
	hi=$(awk -v w="$3" -v t="$4" 'BEGIN { printf "%.3f", w * (1 + t / 100) / 1e9 }')
	if within "$2" "$3" "$4"; then
		pass "$1" "$(secs "$2") s $5, want $(secs "$3") s ±$4% [$lo, $hi]"
	else
		fail "$1" "$(secs "$2") s $5, want $(secs "$3") s ±$4% [$lo, $hi]"
	fi
}

# thread_cond PID THREAD: the awk condition selecting the samples of thread THREAD of PID.
thread_cond() { echo "index(lab, \",pid=$1,\") && index(lab, \",thread=$2,\")"; }

# check_share CHECK SAMPLES WHOLE-COND PART-COND MIN_PCT WHAT: of the delay of the samples
# matching WHOLE-COND, at least MIN_PCT% matches PART-COND as well. On failure, shows the
# biggest samples of WHOLE that are not PART.
check_share() {
	local name=$1 samples=$2 whole_cond=$3 part_cond=$4 min=$5 what=$6 whole part share
	whole=$(delay_sum "$whole_cond" <<<"$samples")
	part=$(delay_sum "($whole_cond) && ($part_cond)" <<<"$samples")
	share=$(pct "$part" "$whole")
	if [ "$whole" -gt 0 ] && fcmp "$share >= $min"; then
		pass "$name" "$share% of $(secs "$whole") s $what, want ≥ $min%"
		return
	fi
	awk -F '\t' '{ cnt = $1; lab = $3; stack = $4; nf = split(stack, fr, ";") }
		('"$whole_cond"') && !('"$part_cond"')' <<<"$samples" |
		sort -t "$(printf '\t')" -k2,2nr | head -3 | cut -c1-400 | sed 's/^/    | /'
	fail "$name" "$share% of $(secs "$whole") s $what, want ≥ $min% (biggest other samples above)"
}

# check_block_format CHECK FILE: Go's block profile conventions.
check_block_format() {
	local raw why=()
	raw=$(profile_raw "$2")
	grep -qx 'PeriodType: contentions count' <<<"$raw" ||
		why+=("period type is '$(grep -m1 '^PeriodType:' <<<"$raw")', want 'contentions count'")
	grep -qx 'Period: 1' <<<"$raw" || why+=("period is '$(grep -m1 '^Period:' <<<"$raw")', want 1")
	grep -qx 'contentions/count delay/nanoseconds' <<<"$raw" ||
		why+=("sample types are '$(sed -n '/^Samples:/{n;p;q}' <<<"$raw")', want 'contentions/count delay/nanoseconds'")
	verdict "$1" "contentions/count delay/nanoseconds, period type contentions/count" "${why[@]}"
}

# Ground truth of tests/workloads/offcpu.c: the frames each thread waits in.
OFFCPU_KERNEL_napper='hrtimer_nanosleep|do_nanosleep|common_nsleep'
OFFCPU_KERNEL_feeder='hrtimer_nanosleep|do_nanosleep|common_nsleep'
OFFCPU_KERNEL_reader='anon_pipe_read|pipe_read'

# has_frame REGEXP: the awk condition "some frame is exactly one of REGEXP's names".
has_frame() { echo "stack ~ /(^|;)($1)(;|\$)/"; }

# user_path WAIT THREAD_FN: the awk condition "WAIT, later THREAD_FN, and the stack ends at
# a thread root (clone3 or start_thread) without [truncated]".
user_path() {
	echo "stack ~ /(^|;)$1;(.*;)?$2;(.*;)?(start_thread|clone3)\$/"
}

# check_offcpu_threads PREFIX SAMPLES PID WANT_NS STACKS: napper, reader and feeder of
# offcpu PID each waited WANT_NS (±10%), burner < 2% of it; kernel frames and labels of
# the ground truth. STACKS lists the threads whose user stacks must reach their wait
# function and the thread root (a wait still in progress at the end has none: its task
# never ran in its own context since).
check_offcpu_threads() {
	local p=$1 samples=$2 pid=$3 want=$4 stacks=$5 t cond kre got
	for t in napper reader feeder; do
		cond=$(thread_cond "$pid" "$t")
		got=$(delay_sum "$cond" <<<"$samples")
		check_delay "${p}${t}_delay" "$got" "$want" 10 "of delay in thread $t"
		kre=OFFCPU_KERNEL_$t
		check_share "${p}${t}_kernel" "$samples" "$cond" "$(has_frame "${!kre}")" 90 \
			"of $t's delay under ${!kre//|/ or }"
		check_share "${p}${t}_state" "$samples" "$cond" 'index(lab, ",state=interruptible,")' 99 \
			"of $t's delay labelled state=interruptible"
		if [[ " $stacks " == *" $t "* ]]; then
			check_share "${p}${t}_user" "$samples" "$cond" "$(user_path "${t}_wait" "$t")" 90 \
				"of $t's delay under ${t}_wait ← $t ← thread root"
		fi
	done
	got=$(delay_sum "$(thread_cond "$pid" burner)" <<<"$samples")
	if fcmp "$got < 0.02 * $want"; then
		pass "${p}burner_delay" "$(secs "$got") s of delay in the CPU-bound thread, want < 2% of $(secs "$want") s"
	else
		fail "${p}burner_delay" "$(secs "$got") s of delay in the CPU-bound thread, want < 2% of $(secs "$want") s"
	fi
}

# check_offcpu_wakers PREFIX SAMPLES PID: the reader is woken by the feeder (its write),
# napper and feeder by the timer interrupt ending their nanosleep.
check_offcpu_wakers() {
	local p=$1 samples=$2 pid=$3
	check_share "${p}reader_waker" "$samples" "$(thread_cond "$pid" reader)" \
		"index(lab, \",waker=feeder,\") && index(lab, \",waker_pid=$pid,\")" 90 \
		"of the reader's delay labelled waker=feeder waker_pid=$pid"
	check_share "${p}napper_waker" "$samples" "$(thread_cond "$pid" napper)" \
		'index(lab, ",waker=[interrupt],")' 99 "of the napper's delay labelled waker=[interrupt]"
	check_share "${p}feeder_waker" "$samples" "$(thread_cond "$pid" feeder)" \
		'index(lab, ",waker=[interrupt],")' 90 "of the feeder's delay labelled waker=[interrupt]"
}
