#!/usr/bin/env bash
# Prints how long compiling an unwind table takes and how big it is, for libc and for the
# largest shared library on this machine (plus any files given as arguments). It prints
# figures; it does not pass or fail.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/build/bench/cfi_build
make -C "$root" --no-print-directory -s build/bench/cfi_build
libdir=/usr/lib/x86_64-linux-gnu
largest=$(ls -S "$libdir"/*.so* | head -1)
"$bin" "$libdir/libc.so.6" "$largest" "$@"
