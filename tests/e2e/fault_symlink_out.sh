#!/usr/bin/env bash
# Symlinks planted in the output directory are never written through (README: a profile is
# written to a temporary file created exclusively, then renamed over its name, which
# replaces a symlink there rather than following it). OUTDIR/cpu.pb.gz and
# OUTDIR/flame.html point at root-owned scratch files of the test, OUTDIR/block.pb.gz at
# a file that does not exist: the targets keep their bytes, mode and mtime, the missing one
# is not created, the profiles are written as regular 0600 files (go tool pprof reads
# them, with cpusplit's samples), the run exits 0 and one warning line per replaced link
# says so.
source "$(dirname "$0")/lib.bash"
require_binary cpusplit
require_bpf cpu block
require_pprof

out=$E2E_TMP/out
mkdir -p "$out"
for v in victim_cpu victim_flame; do
	echo "a file of root's that no profile may overwrite" >"$E2E_TMP/$v"
	chmod 0644 "$E2E_TMP/$v"
done
before=$(stat -c '%s %a %U %Y' "$E2E_TMP/victim_cpu" "$E2E_TMP/victim_flame"; sha256sum "$E2E_TMP"/victim_*)
ln -s "$E2E_TMP/victim_cpu" "$out/cpu.pb.gz"
ln -s "$E2E_TMP/victim_flame" "$out/flame.html"
ln -s "$E2E_TMP/created_through_link" "$out/block.pb.gz"

start_bg target "$WL/cpusplit" 120
run_cprof run 120 -t cpu,block -F 199 -p "$target" -d 2 -o "$out"

why=()
after=$(stat -c '%s %a %U %Y' "$E2E_TMP/victim_cpu" "$E2E_TMP/victim_flame"; sha256sum "$E2E_TMP"/victim_*)
[ "$before" = "$after" ] || why+=("a symlink's target changed: '$before' → '$after'")
[ ! -e "$E2E_TMP/created_through_link" ] || why+=("the dangling symlink's target was created")
verdict targets_unchanged "victim_cpu, victim_flame unchanged, no file created through the dangling link" "${why[@]}"

why=()
[ "$RC" -eq 0 ] || why+=("exit status $RC, want 0")
for f in cpu.pb.gz block.pb.gz flame.html; do
	[ -f "$out/$f" ] && [ ! -L "$out/$f" ] || why+=("$f is not a regular file")
	[ "$(stat -c %a "$out/$f" 2>/dev/null)" = 600 ] || why+=("$f is not 0600")
	grep -q "^cprof-bpf: warning: $out/$f was a symlink: replaced by the file, its target left as it was$" \
		"$E2E_TMP/run.err" || why+=("no warning line for $f")
done
nwarn=$(grep -c '^cprof-bpf: warning: ' "$E2E_TMP/run.err")
[ "$nwarn" -eq 3 ] || why+=("$nwarn warning lines, want 3")
extra=$(find "$out" -mindepth 1 ! -name cpu.pb.gz ! -name block.pb.gz ! -name flame.html -printf '%f ')
[ -z "$extra" ] || why+=("other files in the output directory: $extra")
[ ${#why[@]} -gt 0 ] && show_err run
verdict replaced "exit $RC, $nwarn warnings, $(find "$out" -mindepth 1 -printf '%f ')" "${why[@]}"

if ! traces=$(pprof_traces "$out/cpu.pb.gz"); then
	fail profile "go tool pprof cannot read $out/cpu.pb.gz: $(head -1 "$PPROF_ERR")"
else
	hot=$(traces_count 'stack ~ /(^|;)hot_[abc](;|$)/' <<<"$traces")
	if [ "$hot" -ge 20 ]; then
		pass profile "$hot samples in cpusplit's hot functions"
	else
		fail profile "$hot samples in cpusplit's hot functions, want ≥ 20"
	fi
fi
if profile_raw "$out/block.pb.gz" >/dev/null; then
	pass block_profile "go tool pprof reads block.pb.gz"
else
	fail block_profile "go tool pprof cannot read $out/block.pb.gz: $(head -1 "$PPROF_ERR")"
fi
e2e_exit
