#!/usr/bin/env bash
# Cross-check with an independent unwinder: for the C and C++ workloads without frame
# pointers, the stacks of the hot samples agree with those of `perf record --call-graph
# dwarf` (8 KiB stack copies unwound offline by perf with libdw); for Debian's stripped xz
# and sqlite3 (below), so do the functions' shares and the share of complete stacks.
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

# ---- Debian's own programs -------------------------------------------------------------
# xz (liblzma) and sqlite3 (libsqlite3) as Debian ships them: stripped, built by others. Much
# of their hot code has no symbol: cprof-bpf names it by its .eh_frame function
# (liblzma.so.5.4.1+0x15ae0), perf prints [unknown]. So perf's frames are named as ours are:
# perf's own name where it has one (.dynsym, libc's debuginfo, the kernel: the tables ours
# come from too; aliases at one address folded to one name on both sides), else
# build/tools/fdefunc's function start for the frame's file offset (minus 1 for a return
# address); the executable's function at e_entry is _start on both sides.
# Both tools sample one running process at once (-p, 997 Hz), and it runs only while both
# do: stopped while they attach, continued for 4 s, stopped again before they end. perf
# copies 32 KiB of stack per sample: sqlite3's shell keeps more than 16 KiB on the stack
# below sqlite3_step, and with perf's default 8 KiB none of its stacks reaches _start.
#   PROG/named         no frame of ours is unnamed: no [unknown] or [unmapped], and every
#                      MODULE+0xADDR is the start of a function of MODULE's .eh_frame_hdr
#   PROG/flat          every function with ≥ 5% of the samples (flat: the innermost frame)
#                      in either tool has shares within 5 points of each other
#   PROG/cum           the same for the share of stacks a function is on
#   PROG/completeness  the share of user stacks whose outermost frame is a thread root
#                      (main, _start, __libc_start_main, start_thread, clone3, and the
#                      loader's _dl_start_user, from which it runs the libraries'
#                      initializers) is at least perf's (stacks of kernel frames only, e.g.
#                      at exit, are left out)
#   PROG/completeness_from_start
#                      the same for a short run of the program from its start, profiled by
#                      one tool and then the other (-- COMMAND): the dynamic loader, the
#                      libraries' first calls and threads starting are in it

FDEFUNC=$OUT/tools/fdefunc
DEB_HZ=997
DEB_SECS=4
DEB_STACK=32768
DEB_ROOTS='main _start __libc_start_main __libc_start_main_impl start_thread clone3 _dl_start_user'

# perf_frames DATA COMM: "1<tab>leaf;...;outermost" per sample of the processes named COMM
# in DATA (with "<tab>k" when all its frames are the kernel's), perf's names without
# " (inlined)"; a user frame perf could not name becomes
# @PATH@OFFSET (hex file offset, minus 1 for a return address) for fde_names. perf 6.1
# prints user frames as offsets in their file already; an absolute address inside one of the
# file's executable mappings (its MMAP2 events) is turned into one.
perf_frames() {
	perf script -i "$1" --show-mmap-events -F comm,tid,ip,sym,dso 2>/dev/null | awk -v comm="$2" '
		function hex(s,   i, v) {
			v = 0; s = tolower(s); sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		function flush() {
			if (st != "") print "1\t" st (nuser ? "" : "\tk")
			st = ""; nuser = 0
		}
		/ PERF_RECORD_MMAP2? / {
			if ($(NF - 1) !~ /x/ || !match($0, /\[0x[0-9a-f]+\(0x[0-9a-f]+\) @ (0x)?[0-9a-f]+ /))
				next
			split(substr($0, RSTART + 1, RLENGTH - 2), m, /[()@ ]+/)
			n = ++nmap[$NF]
			mstart[$NF, n] = hex(m[1]); mlen[$NF, n] = hex(m[2]); moff[$NF, n] = hex(m[3])
			next
		}
		/^[ \t]*$/ { flush(); next }
		/^[^ \t]/ { flush(); take = substr($0, 1, length(comm) + 1) == comm " "; next }
		!take { next }
		{
			rest = $0; sub(/^[ \t]+/, "", rest)
			addr = rest; sub(/ .*/, "", addr)
			rest = substr(rest, length(addr) + 2)
			dso = ""
			if (!sub(/ \(inlined\)$/, "", rest) && match(rest, / \([^()]*\)$/)) {
				dso = substr(rest, RSTART + 2, RLENGTH - 3)
				rest = substr(rest, 1, RSTART - 1)
			}
			user = length(addr) < 16 && dso !~ /^\[/
			if (rest == "[unknown]" && user && dso != "") {
				a = hex(addr)
				for (i = 1; i <= nmap[dso]; i++)
					if (a >= mstart[dso, i] && a < mstart[dso, i] + mlen[dso, i]) {
						a = a - mstart[dso, i] + moff[dso, i]
						break
					}
				rest = sprintf("@%s@%x", dso, nuser ? a - 1 : a)
			}
			nuser += user
			st = st (st == "" ? "" : ";") rest
		}
		END { flush() }'
}

# fde_names < FRAMES: FRAMES (perf_frames) with each @PATH@OFFSET named BASENAME+0xSTART as
# cprof-bpf names it, [unknown] where no function covers the offset.
fde_names() {
	local in=$E2E_TMP/fde.in tab=$E2E_TMP/fde.tab path
	cat >"$in"
	grep -o '@[^@;]*@[0-9a-f]*' "$in" | sort -u >"$E2E_TMP/fde.keys"
	cut -d@ -f2 "$E2E_TMP/fde.keys" | sort -u | while read -r path; do
		grep -F "@$path@" "$E2E_TMP/fde.keys" | cut -d@ -f3 | "$FDEFUNC" "$path" |
			sed "s|^|$path |"
	done >"$tab"
	awk -F '\t' -v tab="$tab" '
		BEGIN {
			while ((getline l < tab) > 0) {
				split(l, f, " ")
				base = f[1]; sub(/.*\//, "", base)
				name["@" f[1] "@" f[2]] = f[3] == "-" ? "[unknown]" : base "+" f[3]
			}
		}
		{
			nf = split($2, fr, ";")
			out = ""
			for (i = 1; i <= nf; i++)
				out = out (i > 1 ? ";" : "") (fr[i] in name ? name[fr[i]] : fr[i])
			print $1 "\t" out (NF > 2 ? "\t" $3 : "")
		}' "$in"
}

# alias_table FILE...: "NAME<tab>CANONICAL" for the function symbols that share an address
# with others in FILE's .dynsym or in its separate debuginfo (by build ID): the tools may
# pick different aliases (malloc or __GI___libc_malloc, pthread_mutex_lock or
# ___pthread_mutex_lock). CANONICAL is the one with the fewest leading underscores, then
# the shortest, then the first in order.
alias_table() {
	local f id dbg
	for f in "$@"; do
		id=$(readelf -n "$f" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
		dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
		{
			nm -D --defined-only "$f" 2>/dev/null
			[ -n "$id" ] && [ -f "$dbg" ] && nm --defined-only "$dbg" 2>/dev/null
		} | awk -v f="$f" '$2 ~ /^[tTwWi]$/ { sub(/@.*/, "", $3); print f "@" $1 "\t" $3 }'
	done | sort -u | awk -F '\t' '
		function better(a, b,   ua, ub) {
			ua = a; sub(/^_*/, "", ua); ub = b; sub(/^_*/, "", ub)
			if (length(a) - length(ua) != length(b) - length(ub))
				return length(a) - length(ua) < length(b) - length(ub)
			return length(a) != length(b) ? length(a) < length(b) : a < b
		}
		{ n[$1]++; name[$1, n[$1]] = $2; if (!($1 in best) || better($2, best[$1])) best[$1] = $2 }
		END {
			for (k in n)
				if (n[k] > 1)
					for (i = 1; i <= n[k]; i++)
						if (name[k, i] != best[k]) print name[k, i] "\t" best[k]
		}'
}

# deb_names ENTRY ALIASES: "COUNT<tab>stack[<tab>k]" lines with the frames named ENTRY
# renamed _start and those in the file ALIASES (alias_table) renamed to their canonical name.
deb_names() {
	awk -F '\t' -v e="$1" -v aliases="$2" '
		BEGIN { while ((getline l < aliases) > 0) { split(l, a, "\t"); canon[a[1]] = a[2] } }
		{
			nf = split($2, fr, ";")
			out = ""
			for (i = 1; i <= nf; i++) {
				f = fr[i] == e ? "_start" : fr[i] in canon ? canon[fr[i]] : fr[i]
				out = out (i > 1 ? ";" : "") f
			}
			print $1 "\t" out (NF > 2 ? "\t" $3 : "")
		}'
}

# share_compare flat|cum OURS PERF: "FUNC OURS% PERF%" for each function with ≥ 5% of the
# samples of either file ("COUNT<tab>leaf;...;outermost"), largest first. Flat: the samples
# whose leaf it is; cum: those it appears in.
share_compare() {
	awk -F '\t' -v mode="$1" '
		FNR == 1 { file++ }
		{
			nf = split($2, fr, ";")
			if (mode == "flat") nf = 1
			split("", seen)
			for (i = 1; i <= nf; i++)
				if (!(fr[i] in seen)) { seen[fr[i]] = 1; c[file, fr[i]] += $1; keys[fr[i]] = 1 }
			tot[file] += $1
		}
		END {
			for (k in keys) {
				a = tot[1] ? 100 * c[1, k] / tot[1] : 0
				b = tot[2] ? 100 * c[2, k] / tot[2] : 0
				if (a >= 5 || b >= 5) printf "%.1f %s %.1f %.1f\n", (a > b ? a : b), k, a, b
			}
		}' "$2" "$3" | sort -rn | cut -d' ' -f2-
}

# check_shares PROG flat|cum: prints the two tools' shares of PROG's top functions side by
# side; PROG/MODE passes when each pair is within 5 points.
check_shares() {
	local prog=$1 mode=$2 fn a b d n=0 worst=0 worst_fn='' why=()
	echo "    $prog, $mode share of the functions with ≥ 5% in either tool:"
	printf '    %9s %8s  %s\n' cprof-bpf perf function
	while read -r fn a b; do
		printf '    %8s%% %7s%%  %s\n' "$a" "$b" "$fn"
		n=$((n + 1))
		d=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (a > b ? a - b : b - a) }')
		fcmp "$d > $worst" && worst=$d worst_fn="$fn $a/$b"
		fcmp "$d <= 5" || why+=("$fn: cprof-bpf $a%, perf $b%, $d points apart")
	done < <(share_compare "$mode" "$E2E_TMP/$prog.ours" "$E2E_TMP/$prog.perf")
	[ "$n" -gt 0 ] || why+=("no function has 5% of the samples in either tool")
	verdict "$prog/$mode" "$n functions within 5 points; largest difference $worst points: ${worst_fn:-none} (cprof-bpf/perf %)" "${why[@]}"
}

# complete_share FILE: "PERCENT ROOTED TOTAL KERNEL": of FILE's samples ("COUNT<tab>stack",
# "<tab>k" after a stack of kernel frames only), KERNEL have no user stack at all, and are
# left out; ROOTED of the TOTAL others (PERCENT) end in a thread root (DEB_ROOTS).
complete_share() {
	awk -F '\t' -v roots="$DEB_ROOTS" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) root[r[i]] = 1 }
		$3 == "k" { kern += $1; next }
		{ tot += $1; k = $2; sub(/.*;/, "", k); if (k in root) ok += $1 }
		END { printf "%.1f %d %d %d\n", tot ? 100 * ok / tot : 0, ok, tot, kern }' "$1"
}

# perf_attach NAME PID: perf record -p PID in the background (pid in PERF_PID, data in
# $E2E_TMP/NAME.data), events enabled through its control FIFO before this returns.
# Returns 1 when perf did not acknowledge within 30 s.
perf_attach() {
	local name=$1 pid=$2 ctl=$E2E_TMP/$1.ctl ack=$E2E_TMP/$1.ack fd_ctl fd_ack reply=
	mkfifo "$ctl" "$ack"
	set -m # SIGINT ends it below: a job without job control would ignore it
	perf record -q -N -m 16M -e cpu-clock -F "$DEB_HZ" --call-graph "dwarf,$DEB_STACK" -D -1 \
		--control "fifo:$ctl,$ack" -p "$pid" -o "$E2E_TMP/$name.data" \
		</dev/null >"$E2E_TMP/$name.perf.log" 2>&1 &
	PERF_PID=$!
	set +m
	E2E_PIDS+=("$PERF_PID")
	# Read-write opens of a FIFO do not block, should perf never open its end.
	exec {fd_ctl}<>"$ctl" {fd_ack}<>"$ack"
	echo enable >&"$fd_ctl"
	read -r -t 30 -u "$fd_ack" reply
	exec {fd_ctl}>&- {fd_ack}>&-
	[ "$reply" = ack ]
}

# deb_frames PROG EXE: $E2E_TMP/PROG.ours and PROG.perf ("COUNT<tab>stack", "<tab>k" after
# a stack of kernel frames only) of the processes named after EXE, from PROF and TRACES
# (cprof-bpf's) and PROG.data (perf's): perf's frames named as ours, aliases folded, EXE's
# entry function _start on both sides. PROG.objs: the files mapped executable (perf's MMAP2
# events). Returns 1 after a FAIL.
deb_frames() {
	local prog=$1 exe=$2 comm=${2##*/} entry
	if ! entry=$("$FDEFUNC" --entry "$exe" 2>&1); then
		fail "$prog/setup" "$entry"
		return 1
	fi
	entry=$comm+$entry
	perf script -i "$E2E_TMP/$prog.data" --show-mmap-events 2>/dev/null |
		awk '/ PERF_RECORD_MMAP2 / && $(NF - 1) ~ /x/ && $NF ~ /^\// { print $NF }' |
		sort -u >"$E2E_TMP/$prog.objs"
	# shellcheck disable=SC2046 # one path per line
	alias_table $(cat "$E2E_TMP/$prog.objs") >"$E2E_TMP/$prog.aliases"
	# Our kernel frames: the functions of the Locations at kernel addresses.
	profile_raw "$PROF" | awk '/^Locations/ { in_loc = 1; next } /^Mappings/ { in_loc = 0 }
		in_loc && $2 ~ /^0xffff/ && $3 ~ /^M=/ { print $4 }' | sort -u >"$E2E_TMP/$prog.kernel"
	awk -F '\t' -v c="comm=$comm" -v kernel="$E2E_TMP/$prog.kernel" '
		BEGIN { while ((getline l < kernel) > 0) kern[l] = 1 }
		index("," $2 ",", "," c ",") {
			k = $3; sub(/.*;/, "", k)
			print $1 "\t" $3 (k in kern ? "\tk" : "")
		}' <<<"$TRACES" | deb_names "$entry" "$E2E_TMP/$prog.aliases" >"$E2E_TMP/$prog.ours"
	perf_frames "$E2E_TMP/$prog.data" "$comm" | fde_names |
		deb_names "$entry" "$E2E_TMP/$prog.aliases" >"$E2E_TMP/$prog.perf"
}

# deb_profile PROG EXE PID: profiles PID (running EXE) with cprof-bpf -p and perf record -p,
# both at DEB_HZ, over the same DEB_SECS of its execution: PID is stopped while the tools
# attach and after, and runs only once both sample it. Then deb_frames. Returns 1 after a
# FAIL.
deb_profile() {
	local prog=$1 exe=$2 pid=$3
	kill -STOP "$pid"
	start_cprof_bg "$prog" -t cpu -F "$DEB_HZ" -p "$pid" -o "$E2E_TMP/$prog"
	if ! wait_ready "$prog" 30; then
		show_err "$prog"
		fail "$prog/run" "cprof-bpf -p $pid did not start profiling within 30 s"
		return 1
	fi
	if ! perf_attach "$prog" "$pid"; then
		fail "$prog/run" "perf record -p $pid did not start: $(grep -m1 . "$E2E_TMP/$prog.perf.log")"
		return 1
	fi
	kill -CONT "$pid"
	sleep "$DEB_SECS"
	kill -STOP "$pid"
	kill -INT "$PERF_PID" "$CPROF_PID"
	wait "$PERF_PID"
	wait_exit "$CPROF_PID" 60
	uw_read "$prog" "cprof-bpf -p $pid exited $RC after SIGINT" || return 1
	deb_frames "$prog" "$exe"
}

# check_named PROG: no frame of cprof-bpf's PROG stacks is unnamed ([unknown], outside
# every mapping, or MODULE+0xADDR where ADDR is no function's start): a MODULE+0xADDR of one
# of PROG's files must be where a function of its .eh_frame_hdr starts (fdefunc --vaddr).
check_named() {
	local prog=$1 of=$E2E_TMP/$1.ours good=$E2E_TMP/$1.fdenames path base counts n all ex
	grep -o '[^;	]*+0x[0-9a-f]*' "$of" | sort -u >"$E2E_TMP/$prog.plus"
	while read -r path; do
		base=${path##*/}
		awk -v b="$base+0x" 'index($0, b) == 1 { print substr($0, length(b) + 1) }' \
			"$E2E_TMP/$prog.plus" | "$FDEFUNC" --vaddr "$path" |
			awk -v b="$base" '"0x" $1 == $2 { print b "+" $2 }'
	done <"$E2E_TMP/$prog.objs" >"$good"
	counts=$(awk -F '\t' -v good="$good" '
		BEGIN { while ((getline l < good) > 0) ok[l] = 1 }
		{
			all += $1
			nf = split($2, fr, ";")
			for (i = 1; i <= nf; i++)
				if (fr[i] == "[unknown]" || fr[i] ~ /^\[unmapped\]/ ||
				    (fr[i] ~ /\+0x[0-9a-f]+$/ && !(fr[i] in ok))) {
					n += $1
					if (ex == "") ex = fr[i] " in " $2
					break
				}
		}
		END { print n + 0, all + 0, ex }' "$of")
	read -r n all ex <<<"$counts"
	if [ "$n" -eq 0 ]; then
		pass "$prog/named" "all $all samples have named frames; $(wc -l <"$good") distinct functions named by their FDE"
	else
		fail "$prog/named" "$n of $all samples have an unnamed frame, e.g. ${ex:0:300}"
	fi
}

# check_complete PROG CHECK: CHECK passes when the share of PROG's user stacks that reach a
# thread root (complete_share) in cprof-bpf's samples is at least that in perf's; prints
# both.
check_complete() {
	local prog=$1 check=$2 ours ok_ours n_ours k_ours theirs ok_theirs n_theirs k_theirs
	read -r ours ok_ours n_ours k_ours < <(complete_share "$E2E_TMP/$prog.ours")
	read -r theirs ok_theirs n_theirs k_theirs < <(complete_share "$E2E_TMP/$prog.perf")
	printf '    %9s %8s\n    %8s%% %7s%%  %s\n' cprof-bpf perf "$ours" "$theirs" \
		"of the stacks reach a thread root ($n_ours and $n_theirs samples with a user stack; $k_ours and $k_theirs without, left out)"
	# Compared as fractions, not as the rounded percentages.
	if [ "$n_ours" -gt 0 ] && [ $((ok_ours * n_theirs)) -ge $((ok_theirs * n_ours)) ]; then
		pass "$check" "cprof-bpf $ok_ours of $n_ours ($ours%), perf $ok_theirs of $n_theirs ($theirs%) of stacks reach a thread root; summary: $UW_SUMMARY"
	else
		fail "$check" "cprof-bpf $ok_ours of $n_ours ($ours%) of stacks reach a thread root, perf $ok_theirs of $n_theirs ($theirs%); summary: $UW_SUMMARY; $(uw_truncation_reasons "$prog")"
	fi
}

# deb_check PROG EXE PID: profiles PID (deb_profile) and checks PROG/named, PROG/flat,
# PROG/cum and PROG/completeness, printing both tools' figures side by side.
deb_check() {
	local prog=$1 n_ours n_theirs
	deb_profile "$@" || return
	n_ours=$(traces_count 1 <"$E2E_TMP/$prog.ours")
	n_theirs=$(traces_count 1 <"$E2E_TMP/$prog.perf")
	if [ "$n_ours" -lt 500 ] || [ "$n_theirs" -lt 500 ]; then
		fail "$prog/samples" "too few samples to compare: cprof-bpf $n_ours, perf $n_theirs, want ≥ 500 each"
		return
	fi
	echo "    $prog: $n_ours cprof-bpf and $n_theirs perf samples"
	check_named "$prog"
	check_shares "$prog" flat
	check_shares "$prog" cum
	check_complete "$prog" "$prog/completeness"
}

# deb_check_start PROG EXE ARGS...: EXE ARGS run from their start under perf record, then
# under cprof-bpf (one after the other, at DEB_HZ); PROG/completeness_from_start compares
# the shares of complete stacks, start-up (the dynamic loader, threads starting) included.
deb_check_start() {
	local prog=$1 exe=$2 name=$1-start
	shift 2
	if ! perf record -q -N -m 16M -e cpu-clock -F "$DEB_HZ" --call-graph "dwarf,$DEB_STACK" \
		-o "$E2E_TMP/$name.data" -- "$exe" "$@" >/dev/null 2>"$E2E_TMP/$name.perf.log"; then
		fail "$prog/run_from_start" "perf record failed: $(grep -m1 . "$E2E_TMP/$name.perf.log")"
		return
	fi
	run_cprof "$name" 90 -t cpu -F "$DEB_HZ" -o "$E2E_TMP/$name" -- "$exe" "$@"
	uw_read "$name" "cprof-bpf -- $exe $* exited $RC after ${ELAPSED_MS} ms" || return
	deb_frames "$name" "$exe" || return
	check_complete "$name" "$prog/completeness_from_start"
}

# deb_ready PROG EXE PACKAGE: EXE is installed (scripts/install-deps installs PACKAGE), else
# PROG is SKIPped.
deb_ready() {
	[ -x "$2" ] && return 0
	echo "SKIP: $E2E_SUITE/$1: $2 is not installed (apt-get install $3)"
	return 1
}

# deb_start VAR EXE LIB ARGS...: starts EXE ARGS (stdout discarded) in the background, its
# pid in VAR, and waits until it runs EXE with LIB mapped (past the dynamic loader).
deb_start() {
	local var=$1 exe=$2 lib=$3 pid
	shift 3
	# shellcheck disable=SC2016 # expanded by sh
	start_bg "$var" sh -c 'exec "$0" "$@" >/dev/null' "$exe" "$@"
	pid=${!var}
	wait_until 10 has_line "/proc/$pid/maps" "$lib" && wait_until 5 has_line "/proc/$pid/maps" 'libc\.so'
	sleep 0.2
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${exe##*/}" ] && return 0
	fail "${exe##*/}/setup" "$exe did not start: $(head -c 300 "$E2E_TMP/$var.log")"
	return 1
}

if [ ! -x "$FDEFUNC" ]; then
	fail setup "$FDEFUNC is not built (run make test-build)"
	e2e_exit
fi

# Text for xz, awk -v lines=N -v out=FILE "$TEXT_AWK": N lines (0: without end) of words and
# numbers from a fixed Park-Miller sequence.
TEXT_AWK='BEGIN {
	n = split("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega", w, " ")
	for (x = 7; lines == 0 || i++ < lines; ) {
		x = x * 16807 % 2147483647; a = w[x % n + 1]
		x = x * 16807 % 2147483647; b = x % 100000
		x = x * 16807 % 2147483647
		print a, b, w[x % n + 1] > out
	}
}'

# sqlite_rounds N ROWS: N rounds of: ROWS inserted rows, an index build, a second table
# filled from the first, then a join whose result is sorted.
sqlite_rounds() {
	local i
	for ((i = 0; i < $1; i++)); do
		cat <<EOF
DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS u;
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $2)
INSERT INTO t(k, v) SELECT (i * 7919) % 100003, printf('row-%08d', (i * 104729) % 1000003) FROM c;
CREATE INDEX t_k ON t(k);
CREATE TABLE u(k INTEGER, w TEXT);
INSERT INTO u SELECT k, v FROM t WHERE id % 3 = 0;
SELECT count(*), max(x) FROM (SELECT t.v || u.w AS x FROM t JOIN u ON t.k = u.k ORDER BY x);
EOF
	done
}

# xz, two worker threads on 1 MiB blocks at -6: liblzma's match finder and encoder on
# threads that start at clone3, the main thread reading. Attached to: compressing an endless
# stream of text through a FIFO. From its start: 2 MB of it.
xz_pid='' gen='' sq_pid=''
if deb_ready xz /usr/bin/xz xz-utils; then
	mkfifo "$E2E_TMP/xz.fifo"
	start_bg gen awk -v lines=0 -v out="$E2E_TMP/xz.fifo" "$TEXT_AWK"
	deb_start xz_pid /usr/bin/xz liblzma -T2 --block-size=1MiB -6 -c "$E2E_TMP/xz.fifo" &&
		deb_check xz /usr/bin/xz "$xz_pid"
	kill_our_children "$xz_pid" "$gen"
	awk -v lines=120000 -v out="$E2E_TMP/xz.in" "$TEXT_AWK"
	deb_check_start xz /usr/bin/xz -T2 --block-size=1MiB -6 -c "$E2E_TMP/xz.in"
fi

# sqlite3, in memory: the VDBE, b-trees, the sorter and libc's memcmp/memcpy; most of
# libsqlite3's functions are in its .dynsym. Attached to: rounds of 300k rows (one takes
# about 1 s here; there are enough for any machine to be busy while it is profiled). From
# its start: one round.
if deb_ready sqlite3 /usr/bin/sqlite3 sqlite3; then
	sqlite_rounds 100 300000 >"$E2E_TMP/sqlite3.sql"
	deb_start sq_pid /usr/bin/sqlite3 libsqlite3 :memory: ".read $E2E_TMP/sqlite3.sql" &&
		deb_check sqlite3 /usr/bin/sqlite3 "$sq_pid"
	kill_our_children "$sq_pid"
	sqlite_rounds 1 300000 >"$E2E_TMP/sqlite3-start.sql"
	deb_check_start sqlite3 /usr/bin/sqlite3 :memory: ".read $E2E_TMP/sqlite3-start.sql"
fi
e2e_exit
