#!/usr/bin/env bash
# User stacks of Go code, and of C code called from Go through cgo (C built without frame
# pointers, run on the system stack that runtime.asmcgocall switches to): ≥ 99% of samples
# reach the goroutine's root and the hot samples show the exact chain of the source:
#   uw_go   main.hot ← main.level1 ← main.main ← runtime.main ← runtime.goexit
#           runtime.Stack.func1 ← runtime.systemstack (switches to g0) ← runtime.Stack ←
#           main.traces ← main.main ← runtime.main ← runtime.goexit
#   uw_cgo  c_hot ← c_burn ← the cgo stub ← runtime.asmcgocall ← runtime.cgocall ←
#           main._Cfunc_c_burn ← main.level1 ← main.main ← runtime.main ← runtime.goexit
# and the same binaries stripped of symbols and .debug_frame (frame pointers and the Go
# runtime's own function table only) still reach their roots.
#   uw_gosha  crypto/sha256.block (assembly that uses rbp as a scratch register, so frame
#             pointers cannot leave it) ← crypto/sha256.(*digest).Write [← (*digest).checkSum]
#             ← crypto/sha256.Sum256 ← main.digest ← main.level1 ← main.main ← runtime.main ← runtime.goexit,
#             built with and without .debug_frame (-ldflags='-s -w': its frames are known
#             from .gopclntab's stack-pointer tables only), and no frame-pointer steps taken.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_go uw_cgo uw_gosha uw_gosha_stripped
require_bpf
require_pprof

secs=4
# Assembly functions are named NAME.abi0 in Go's symbol table.
a0='(\.abi0)?'
go_root="main\.main;runtime\.main;runtime\.goexit$a0"

if uw_profile go -- "$WL/uw_go" "$secs"; then
	uw_check_root go/root go
	uw_check_stacks go/stacks 'main\.hot' "main\.hot;main\.level1;$go_root"
	# systemstack's caller is found on the goroutine's stack, not skipped by the frame
	# pointer that systemstack leaves as it was.
	uw_check_stacks go/systemstack 'runtime\.Stack\.func1' \
		"runtime\.Stack\.func1;runtime\.systemstack$a0;runtime\.Stack;main\.traces;$go_root"
	check_symbolized go/symbolized 'uw_go' <<<"$TRACES"
fi

if uw_profile cgo -- "$WL/uw_cgo" "$secs"; then
	uw_check_root cgo/root cgo
	uw_check_stacks cgo/stacks c_hot \
		"c_hot;c_burn;_cgo_[0-9a-f]+_Cfunc_c_burn;runtime\.asmcgocall$a0;runtime\.cgocall;main\._Cfunc_c_burn$a0;main\.level1;$go_root"
	check_symbolized cgo/symbolized 'uw_cgo|libc\.so\.6' <<<"$TRACES"
fi

# The workload tests what it says only while sha256's block writes rbp past its prologue
# (Go 1.19's AVX2 path keeps its constant table there: TBL in sha256block_amd64.s); the
# prologue's own "lea N(%rsp),%rbp" and the epilogue's reload from the stack do not count
# (nor other loads from the stack).
scratch=$(objdump -d --no-show-raw-insn "$WL/uw_gosha" 2>"$E2E_TMP/objdump.err" |
	awk '/^[0-9a-f]+ <crypto\/sha256\.block(\.abi0)?>:$/ { on = 1; next } on && /^$/ { exit }
		on && /,%rbp([ \t]|$)/ && !/\(%rsp\),%rbp([ \t]|$)/ { n++ } END { print n + 0 }')
if [ "$scratch" -gt 0 ]; then
	pass gosha/rbp_scratch "crypto/sha256.block writes rbp $scratch times past its prologue"
else
	fail gosha/rbp_scratch "crypto/sha256.block of $WL/uw_gosha never writes rbp but in its prologue: the check below proves nothing; $(head -1 "$E2E_TMP/objdump.err")"
fi

# block calls nothing (but runtime.morestack, once): samples with it are those it is the
# leaf of.
# Sum256 reaches Write directly (the data) or through checkSum (the final padding).
sha_tail="crypto/sha256\.block$a0;crypto/sha256\.\(\*digest\)\.Write;(crypto/sha256\.\(\*digest\)\.checkSum;)?crypto/sha256\.Sum256;main\.digest;main\.level1;$go_root"
for w in uw_gosha uw_gosha_stripped; do
	name=${w#uw_}
	if uw_profile "$name" -t cpu -- "$WL/$w" "$secs"; then
		uw_check_stacks "$name/stacks" "crypto/sha256\.block$a0" "$sha_tail"
		uw_check_no_fallback "$name/no_fp" "$name"
	fi
done

mkdir -p "$E2E_TMP/bin"
for w in uw_go uw_cgo; do
	if ! objcopy --strip-all "$WL/$w" "$E2E_TMP/bin/$w" 2>"$E2E_TMP/objcopy.err"; then
		fail "${w#uw_}_stripped" "objcopy --strip-all $WL/$w: $(head -1 "$E2E_TMP/objcopy.err")"
		continue
	fi
	if uw_profile "${w#uw_}_stripped" -- "$E2E_TMP/bin/$w" "$secs"; then
		uw_check_root "${w#uw_}_stripped/root" "${w#uw_}_stripped"
	fi
done
e2e_exit
