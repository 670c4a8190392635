#!/usr/bin/env bash
# The output directory's filesystem fills up during the run (a 64 KiB tmpfs, filled once
# cprof-bpf says it is profiling): the profiles are not lost. cprof-bpf exits 1 with one
# error line that names a fallback directory it made for them (mkdtemp under $TMPDIR: new,
# 0700, ours), writes every profile there (0600) with flame.html beside them, and leaves
# nothing in the full directory. The fallback's CPU profile holds what the run collected:
# cpusplit's samples ≈ its CPU time × the frequency (±20%), each under main → level1 →
# level2 (its split is not checked: 4 s of a busy machine's CPU are too few samples).
source "$(dirname "$0")/lib.bash"
require_binary cpusplit
require_bpf cpu block
require_pprof

hz=199
mnt=$E2E_TMP/small
tmpd=$E2E_TMP/tmpdir
mkdir -p "$mnt" "$tmpd"
chmod 0755 "$tmpd"
if ! mount -t tmpfs -o size=64k,mode=0755 cprof-e2e-full "$mnt" 2>"$E2E_TMP/mount.err"; then
	skip_all "cannot mount a tmpfs: $(head -1 "$E2E_TMP/mount.err")"
fi
trap 'umount -l "$mnt" 2>/dev/null; e2e_cleanup' EXIT

start_bg target "$WL/cpusplit" 120
cpu_log_start "$target"
TMPDIR=$tmpd start_cprof_bg run -p "$target" -t cpu,block -F "$hz" -d 4 -o "$mnt/out"
if ! wait_ready run 60; then
	show_err run
	fail run "cprof-bpf -p $target did not say it was profiling within 60 s"
	e2e_exit
fi
# Fill what is left: dd stops at ENOSPC.
dd if=/dev/zero of="$mnt/fill" bs=4096 2>/dev/null
avail=$(df --output=avail -B1 "$mnt" | tail -1 | tr -d ' ')
wait_exit "$CPROF_PID" 60

# One error line (the others are the profiling line and the summary, which is not
# prefixed), naming the file that failed, why, and where the profiles went.
errs=$(grep '^cprof-bpf: ' "$E2E_TMP/run.err" | grep -v '^cprof-bpf: profiling ')
nerr=$(grep -c . <<<"$errs")
fb=$(sed -n 's/^cprof-bpf: cannot write .*; the profiles are in \(.*\) instead$/\1/p' <<<"$errs")
why=()
[ "$avail" -eq 0 ] || why+=("the tmpfs still has $avail bytes free after filling it")
[ "$RC" -eq 1 ] || why+=("exit status $RC, want 1")
[ "$nerr" -eq 1 ] || why+=("$nerr error lines, want 1")
grep -q "^cprof-bpf: cannot write $mnt/out/[a-z]*\.pb\.gz: No space left on device; " <<<"$errs" ||
	why+=("the error line does not name the file and ENOSPC")
case $fb in
"$tmpd"/cprof-bpf-??????) ;;
*) why+=("the error line names no fallback directory under \$TMPDIR ($tmpd): '${fb}'") ;;
esac
[ ${#why[@]} -gt 0 ] && show_err run
verdict one_line "exit $RC: $errs" "${why[@]}"
if [ -z "$fb" ] || [ ! -d "$fb" ]; then e2e_exit; fi

why=()
[ "$(stat -c '%a %U' "$fb")" = "700 root" ] || why+=("$fb is $(stat -c '%a %U' "$fb"), want 700 root")
for f in cpu.pb.gz block.pb.gz flame.html; do
	[ "$(stat -c %a "$fb/$f" 2>/dev/null)" = 600 ] || why+=("$fb/$f is missing or not 0600")
done
extra=$(find "$fb" -mindepth 1 ! -name cpu.pb.gz ! -name block.pb.gz ! -name flame.html -printf '%f ')
[ -z "$extra" ] || why+=("other files in $fb: $extra")
left=$(find "$mnt/out" -mindepth 1 -printf '%f ')
[ -z "$left" ] || why+=("left in the full directory: $left")
grep -q "^  wrote $fb/cpu\.pb\.gz " "$E2E_TMP/run.err" || why+=("the summary does not name $fb/cpu.pb.gz")
verdict fallback_files "$fb: $(find "$fb" -mindepth 1 -printf '%f ')" "${why[@]}"

prof=$fb/cpu.pb.gz
check_count samples "$(pprof_top "$prof" | top_total)" "$(window_samples "$prof" 1 "$hz")" 20 \
	"samples for cpusplit's CPU time at $hz Hz"
check_cpusplit_stacks stacks "$prof"
if ! profile_raw "$fb/block.pb.gz" >/dev/null; then
	fail block_readable "go tool pprof cannot read $fb/block.pb.gz: $(head -1 "$PPROF_ERR")"
else
	pass block_readable "go tool pprof reads $fb/block.pb.gz"
fi
e2e_exit
