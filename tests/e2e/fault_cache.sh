#!/usr/bin/env bash
# Unwind-table cache files that cannot be trusted (README: how stacks are unwound): one
# truncated, one overwritten with random bytes, one with another format version, one owned
# by another user (nobody). The next run detects each, rebuilds it (the same bytes as the
# original), counts them in the summary (3 rebuilt, 1 ignored) and with -v (loaded,
# rebuilt, ignored, stored), and its profile is right (every hot stack of cpusplit
# complete, so the rows are right). A third run loads every table. The cache directory is
# created 0700 with 0600 files; a directory others can write to, or another user's, is not
# used (-v says so) and the run is unharmed.
# The same directory keeps an uncompressed copy of libc's compressed debuginfo (libc6-dbg):
# made by the first run, truncated before the second, which makes it again (the summary and
# -v say so) and still gives libc's frames their file:line; read by the third.
source "$(dirname "$0")/lib.bash"
require_binary cpusplit
require_bpf cpu
require_pprof

hz=199
cache=$E2E_TMP/cache

start_bg target "$WL/cpusplit" 300

# run_cached NAME DIR: cprof-bpf -v -t cpu -p cpusplit -d 2 with CPROF_CACHE_DIR=DIR; FAILs
# NAME (returns 1) without a profile. Sets COUNTS to the -v line's "LOADED REBUILT IGNORED
# STORED" and SUMMARY to the summary's cache line (empty when there is none).
run_cached() {
	local name=$1
	CPROF_CACHE_DIR=$2 run_cprof "$name" 120 -v -t cpu -F "$hz" -p "$target" -d 2 \
		-o "$E2E_TMP/$name"
	COUNTS=$(sed -n 's/^cprof-bpf: unwind table cache: \([0-9]*\) tables loaded, \([0-9]*\) files rebuilt, \([0-9]*\) ignored, \([0-9]*\) tables stored$/\1 \2 \3 \4/p' "$E2E_TMP/$name.err")
	SUMMARY=$(grep '^  unwind table cache: ' "$E2E_TMP/$name.err")
	DCOUNTS=$(sed -n 's/^cprof-bpf: debuginfo cache: \([0-9]*\) uncompressed copies read, \([0-9]*\) made, \([0-9]*\) made again, \([0-9]*\) ignored, .*/\1 \2 \3 \4/p' "$E2E_TMP/$name.err")
	DSUMMARY=$(grep '^  debuginfo cache: ' "$E2E_TMP/$name.err")
	if [ "$RC" -ne 0 ] || [ ! -s "$E2E_TMP/$name/cpu.pb.gz" ] || [ -z "$COUNTS" ]; then
		show_err "$name"
		fail "$name" "cprof-bpf -v -p $target -d 2 exited $RC; profile $([ -s "$E2E_TMP/$name/cpu.pb.gz" ] && echo written || echo missing); cache counts '${COUNTS}'"
		return 1
	fi
}

# check_profile NAME: the run's tables unwind cpusplit's stacks whole (its split is not
# checked: 2 s of a busy machine's CPU give too few samples for ±5 points).
check_profile() {
	check_cpusplit_stacks "$1/stacks" "$E2E_TMP/$1/cpu.pb.gz"
}

# First run: the directory and a file per object, made private.
run_cached fresh "$cache" || e2e_exit
mapfile -t files < <(find "$cache" -name '*.cfi' | sort)
n=${#files[@]}
why=()
[ "$(stat -c '%a %U' "$cache")" = "700 root" ] || why+=("$cache is $(stat -c '%a %U' "$cache"), want 700 root")
bad=$(find "$cache" -mindepth 1 \( ! \( -name '*.cfi' -o -name '*.debug' \) -o ! -perm 600 -o ! -user root \) -printf '%f ')
[ -z "$bad" ] || why+=("files not *.cfi or *.debug 0600 root: $bad")
[ "$n" -ge 4 ] || why+=("$n cache files, want ≥ 4 (cpusplit, libc, ld.so, vdso)")
# Loaded may be more than 0: an object whose table went to the build queue (a busy machine)
# and was then needed at once is built twice, and the second may find the first's file.
[[ $COUNTS == *" 0 0 $n" ]] || why+=("cache counts (loaded rebuilt ignored stored) $COUNTS, want any 0 0 $n")
verdict fresh_files "$n files in $cache, counts $COUNTS" "${why[@]}"
[ "$n" -ge 4 ] || e2e_exit

# libc's debuginfo, compressed as Debian ships it: its uncompressed copy.
libc=$(awk '$NF ~ /\/libc\.so\.6$/ { print $NF; exit }' "/proc/$target/maps")
libc_bid=$(readelf -n "$libc" 2>/dev/null | sed -n 's/^.*Build ID: *//p')
libc_dbg=/usr/lib/debug/.build-id/${libc_bid:0:2}/${libc_bid:2}.debug
copy=''
if [ -z "$libc_bid" ] || ! readelf -S -W "$libc_dbg" 2>/dev/null | grep -q '\.debug_info .* C '; then
	echo "SKIP: $E2E_SUITE/debuginfo_copy: no compressed debuginfo for $libc (${libc_dbg}; libc6-dbg installs it)"
else
	copy=$cache/$libc_bid.debug
	why=()
	[ -f "$copy" ] || why+=("$copy was not made")
	[ "$(stat -c '%a %U' "$copy" 2>/dev/null)" = "600 root" ] || why+=("$copy is $(stat -c '%a %U' "$copy" 2>/dev/null)")
	! readelf -S -W "$copy" 2>/dev/null | grep -q '\.debug_.* C ' || why+=("$copy still has compressed sections")
	[[ $DCOUNTS == "0 "[1-9]*" 0 0" ]] || why+=("debuginfo cache counts (read made again ignored) '$DCOUNTS', want 0 ≥1 0 0")
	verdict debuginfo_copy "$(stat -c %s "$copy" 2>/dev/null) bytes in $copy from $(stat -c %s "$libc_dbg") compressed; counts $DCOUNTS" "${why[@]}"
fi
mkdir "$E2E_TMP/orig"
cp -p "${files[@]}" "$E2E_TMP/orig/"

# The four faults.
f_trunc=${files[0]} f_rand=${files[1]} f_vers=${files[2]} f_user=${files[3]}
truncate -s $(($(stat -c %s "$f_trunc") / 2)) "$f_trunc"
size=$(stat -c %s "$f_rand")
head -c "$size" /dev/urandom >"$f_rand"
printf '\x63\x00\x00\x00' | dd of="$f_vers" bs=1 seek=8 conv=notrunc status=none # version 99
chown nobody: "$f_user"
[ -n "$copy" ] && truncate -s $(($(stat -c %s "$copy") / 2)) "$copy"

run_cached faulty "$cache" || e2e_exit
why=()
read -r loaded rest <<<"$COUNTS"
[ "$rest" = "3 1 4" ] && [ "$loaded" -ge $((n - 4)) ] ||
	why+=("cache counts (loaded rebuilt ignored stored) $COUNTS, want ≥ $((n - 4)) 3 1 4")
[[ $SUMMARY == "  unwind table cache: 3 files rebuilt "*", 1 ignored "* ]] ||
	why+=("summary line '${SUMMARY}', want 3 rebuilt, 1 ignored")
for f in "$f_trunc" "$f_rand" "$f_vers" "$f_user"; do
	grep -q "^cprof-bpf: unwind table cache: $f (.*) is .*rebuilt$" "$E2E_TMP/faulty.err" ||
		why+=("-v does not name $(basename "$f")")
	cmp -s "$f" "$E2E_TMP/orig/$(basename "$f")" || why+=("$(basename "$f") not rebuilt as it was")
	[ "$(stat -c '%a %U' "$f")" = "600 root" ] || why+=("$(basename "$f") is $(stat -c '%a %U' "$f")")
done
[ ${#why[@]} -gt 0 ] && show_err faulty
verdict faulty_detected "counts $COUNTS; $SUMMARY" "${why[@]}"
check_profile faulty
if [ -n "$copy" ]; then
	why=()
	[[ $DCOUNTS == "0 "[1-9]*" 1 0" ]] || why+=("debuginfo cache counts (read made again ignored) '$DCOUNTS', want 0 ≥1 1 0")
	[[ $DSUMMARY == "  debuginfo cache: 1 uncompressed copies made again "* ]] ||
		why+=("summary line '${DSUMMARY}', want 1 made again")
	grep -q "^cprof-bpf: debuginfo cache: $copy is not an uncompressed copy of build id $libc_bid: made again$" \
		"$E2E_TMP/faulty.err" || why+=("-v does not name $copy")
	lines=$(go tool pprof -traces -lines "$E2E_TMP/faulty/cpu.pb.gz" 2>/dev/null |
		grep -c '__libc_start_call_main .*libc_start_call_main\.h:[0-9]')
	[ "$lines" -gt 0 ] || why+=("no frame of __libc_start_call_main has libc's file:line")
	! readelf -S -W "$copy" 2>/dev/null | grep -q '\.debug_.* C ' && [ "$(stat -c %s "$copy")" -gt "$(stat -c %s "$libc_dbg")" ] ||
		why+=("$copy not made whole again")
	verdict debuginfo_copy_torn "counts $DCOUNTS; $DSUMMARY; $lines frames of __libc_start_call_main at libc_start_call_main.h" "${why[@]}"
fi

run_cached again "$cache" || e2e_exit
why=()
read -r loaded rest <<<"$COUNTS"
[ "$rest" = "0 0 0" ] && [ "$loaded" -ge "$n" ] ||
	why+=("cache counts (loaded rebuilt ignored stored) $COUNTS, want ≥ $n 0 0 0")
[ -z "$SUMMARY" ] || why+=("summary says '$SUMMARY' with a valid cache")
if [ -n "$copy" ]; then
	[[ $DCOUNTS == [1-9]*" 0 0 0" ]] || why+=("debuginfo cache counts (read made again ignored) '$DCOUNTS', want ≥1 0 0 0")
	[ -z "$DSUMMARY" ] || why+=("summary says '$DSUMMARY' with a valid copy")
fi
verdict again_loaded "counts $COUNTS, debuginfo $DCOUNTS" "${why[@]}"

# check_unused NAME WHAT: with the cache directory made WHAT (already done), the run uses
# no cache, says why with -v, and its profile is right.
check_unused() {
	local name=$1 what=$2 why=()
	run_cached "$name" "$cache" || return
	[ "$COUNTS" = "0 0 0 0" ] || why+=("cache counts $COUNTS, want 0 0 0 0: the directory was used")
	grep -q "^cprof-bpf: cache disabled (unwind tables, debuginfo): $cache is a directory (owner uid [0-9]*, mode [0-7]*)" \
		"$E2E_TMP/$name.err" || why+=("no -v line says the cache is disabled")
	[ ${#why[@]} -gt 0 ] && show_err "$name"
	verdict "$name" "$what: $(grep -m1 'cache disabled' "$E2E_TMP/$name.err")" "${why[@]}"
	check_profile "$name"
}
chmod 0777 "$cache"
check_unused dir_world_writable "mode 0777"
chmod 0700 "$cache"
chown nobody: "$cache"
check_unused dir_other_user "owned by nobody"
chown root: "$cache"

# A directory that does not exist yet is made 0700 whatever the umask.
(umask 0; run_cached new_dir "$E2E_TMP/newcache")
mode=$(stat -c '%a %U' "$E2E_TMP/newcache" 2>/dev/null)
if [ "$mode" = "700 root" ]; then
	pass new_dir "$E2E_TMP/newcache made $mode under umask 0"
else
	fail new_dir "$E2E_TMP/newcache is '${mode:-missing}' after a run under umask 0, want 700 root"
fi
e2e_exit
