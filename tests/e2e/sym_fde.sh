#!/usr/bin/env bash
# Stripped code named per function: libfde (tests/workloads/fdelib/) burns in three hidden
# functions (6, 3 and 1 work units a round) that a stripped build names nowhere but in its
# .eh_frame FDEs. Profiling the same work on libfde.so (symbols, DWARF) and on
# libfde_stripped.so (objcopy --strip-all of it):
#   stripped/per_fde   each of the stripped library's Functions is named LIB+0xSTART where
#                      START is a function's start (an FDE's initial location, the ELF
#                      address nm gives in the unstripped build); the hot functions have
#                      one Function each over several sampled instructions
#   stripped/summary   the summary's top list shows the same names
#   share/fde_hot_X    each hot function's flat share of the stripped profile is within 2
#                      points of its share of the unstripped profile
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/sym_lib.bash"
require_binary fdelib_run libfde.so libfde_stripped.so
require_bpf
require_pprof

rounds=1000
hot="fde_hot_a fde_hot_b fde_hot_c"
declare -A start	# function → its start address in the library, as nm prints it
while read -r addr _ name; do
	start[$name]=$((16#$addr))
done < <(nm --defined-only "$WL/libfde.so" | awk '$2 ~ /^[tT]$/')
for f in $hot; do
	[ -n "${start[$f]:-}" ] || { fail setup "nm finds no $f in $WL/libfde.so"; exit 1; }
done

profile full -t cpu -F 4999 -- "$WL/fdelib_run" "$WL/libfde.so" "$rounds" || exit 1
full_top=$(pprof_top "$PROF")
profile stripped -t cpu -F 4999 -- "$WL/fdelib_run" "$WL/libfde_stripped.so" "$rounds" ||
	exit 1
strip_prof=$PROF
strip_top=$(pprof_top "$PROF")

# Every Function of the stripped library starts where a function starts.
names=$(grep -o 'libfde_stripped\.so+0x[0-9a-f]*' <<<"$strip_top" | sort -u)
bad=""
for n in $names; do
	addr=$((16#${n#*+0x}))
	ok=0
	for f in "${!start[@]}"; do
		[ "${start[$f]}" -eq "$addr" ] && ok=1
	done
	[ "$ok" -eq 1 ] || bad="$bad $n"
done
# The hot functions' samples fall on several instructions, yet make one Function each.
locs=$(leaf_locations "$strip_prof")
per_fde=""
for f in $hot; do
	name=$(printf 'libfde_stripped.so+0x%x' "${start[$f]}")
	n_fn=$(grep -cx -- "$name" <<<"$names")
	n_loc=$(awk -F '\t' -v n="$name" 'index($2, n " ") == 1 || $2 == n' <<<"$locs" | wc -l)
	[ "$n_fn" -eq 1 ] && [ "$n_loc" -ge 2 ] || bad="$bad $f:functions=$n_fn,locations=$n_loc"
	per_fde="$per_fde $name:$n_loc"
done
if [ -n "$names" ] && [ -z "$bad" ]; then
	pass stripped/per_fde "$(wc -w <<<"$names") functions, leaf locations per function:$per_fde"
else
	fail stripped/per_fde "not one Function per FDE:$bad (functions: ${names//$'\n'/ })"
fi

name=$(printf 'libfde_stripped.so+0x%x' "${start[fde_hot_a]}")
if grep -q -- "% cum  $name\$" "$E2E_TMP/stripped.err"; then
	pass stripped/summary "the top list names $name"
else
	show_err stripped
	fail stripped/summary "no '$name' in the summary's top list"
fi

full_total=$(top_total <<<"$full_top")
strip_total=$(top_total <<<"$strip_top")
for f in $hot; do
	name=$(printf 'libfde_stripped.so+0x%x' "${start[$f]}")
	a=$(pct "$(top_value "$f" flat <<<"$full_top")" "$full_total")
	b=$(pct "$(top_value "$name" flat <<<"$strip_top")" "$strip_total")
	if fcmp "$a >= 5 && $a - $b <= 2 && $b - $a <= 2"; then
		pass "share/$f" "unstripped $a%, stripped $b% as $name"
	else
		fail "share/$f" "unstripped $a%, stripped $b% as $name: more than 2 points apart"
	fi
done
e2e_exit
