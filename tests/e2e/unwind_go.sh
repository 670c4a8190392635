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
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/unwind_lib.bash"
require_binary uw_go uw_cgo
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
