#!/usr/bin/env bash
# Writes the binary seeds of the harnesses whose seeds are ELF files or made from them, so
# that they can be rebuilt rather than trusted as blobs:
#   elfdeps/   small programs and a library (fuzz_elfdeps.c says which)
#   cficache/  the cfi seeds' unwind tables as the cache stores them (fuzz_cficache.c),
#              and cfi/tiny.cfi (fuzz_cfi.c), which must follow the cache's version
#   minidebug/ .gnu_debugdata images with a small xz dictionary (fuzz_minidebug.c)
# Usage: tests/fuzz/mkseeds.sh [OUT_DIR] (default tests/fuzz/corpus), from a tree where
# `make test-build` has run (the minidebug seeds come from build/fixtures). Needs cc,
# objcopy and xz. The programs are built by this machine's toolchain, so a rebuild gives
# seeds of the same shape, not the same bytes. The other binary seeds have their recipe in
# their harness's comment (tests/fuzz/fuzz_*.c) or in mkseed_gopcsp.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/tests/fuzz/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"

# Tiny ELF files: no C runtime, no separate code pages, stripped; 1-3 KiB each.
tiny() { # OUTPUT CC-ARGS...
	local o=$1
	shift
	cc -Os -s -nostartfiles -fno-asynchronous-unwind-tables -Wl,-z,noseparate-code \
		-Wl,--build-id=none "$@" -o "$o"
}
elfdeps() {
	local d=$out/elfdeps
	mkdir -p "$d"
	printf 'double cos(double);\nvoid _start(void) { cos(0); for (;;); }\n' >"$tmp/prog.c"
	printf 'double cos(double);\ndouble f(double x) { return cos(x); }\n' >"$tmp/lib.c"
	printf 'void _start(void) { for (;;); }\n' >"$tmp/static.c"
	# libc and libm from the system directories.
	tiny "$d/needed" "$tmp/prog.c" -Wl,--no-as-needed -lm -lc
	# RUNPATH: one plain directory, where libm is found first.
	tiny "$d/runpath" "$tmp/prog.c" -Wl,--no-as-needed,--enable-new-dtags \
		-Wl,-rpath,/usr/lib/x86_64-linux-gnu -lm
	# RUNPATH relative: not followed (it would be looked up from the profiler's working
	# directory; run from /, it names a real directory).
	tiny "$d/runpath-relative" "$tmp/prog.c" -Wl,--no-as-needed,--enable-new-dtags \
		-Wl,-rpath,usr/lib/x86_64-linux-gnu -lm
	# RPATH with a list and $ORIGIN: not followed, the system directories are.
	tiny "$d/rpath-list" "$tmp/prog.c" -Wl,--no-as-needed,--disable-new-dtags \
		-Wl,-rpath,'/opt/none:$ORIGIN/lib' -lm
	# A shared library: DT_NEEDED without PT_INTERP.
	tiny "$d/lib.so" -shared -fPIC "$tmp/lib.c" -Wl,--no-as-needed -lm
	# A static program: neither.
	tiny "$d/static" -static -nostdlib "$tmp/static.c"
}

# The tables of three cfi seeds, stored by cfi_cache__store as fuzz_cficache loads them.
cficache() {
	local d=$out/cficache s
	mkdir -p "$d"
	cat >"$tmp/store.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include "unwind/cfi.h"
int main(int argc, char **argv)
{
	struct cfi_table *t;
	int fd = open(argv[1], O_RDONLY);

	if (argc != 4 || fd < 0 || cfi_table__build(fd, -1, -1, &t) ||
	    cfi_cache__store(argv[2], argv[3], t))
		return fprintf(stderr, "cannot store the table of %s\n", argv[1]), 1;
	return 0;
}
C
	cc -O1 -D_GNU_SOURCE -Iuser -Ibpf -Ibuild "$tmp/store.c" user/unwind/cfi*.c \
		user/util/vec.c -lelf -ldw -lz -o "$tmp/store"
	for s in tiny tiny-go tiny-clone; do
		"$tmp/store" "tests/fuzz/corpus/cfi/$s.so" "$tmp" f0
		mv "$tmp/f0.cfi" "$d/$s.cfi" && chmod 644 "$d/$s.cfi"
	done
	# fuzz_cfi reads the same bytes as a cache file too: its seed must be of this version.
	cp "$d/tiny.cfi" "$out/cfi/tiny.cfi"
}

# MiniDebugInfo images (an ELF file with a .symtab) compressed with a 4 KiB dictionary; the
# second padded to 128 KiB, past the decompressor's first 64 KiB of output.
minidebug() {
	local d=$out/minidebug fix=build/fixtures/sym_minidebug
	mkdir -p "$d"
	[ -f "$fix" ] || { echo "mkseeds: $fix missing: run make test-build" >&2; exit 1; }
	objcopy --dump-section .gnu_debugdata="$tmp/mini.xz" "$fix"
	xz -dc "$tmp/mini.xz" >"$tmp/mini"
	head -c 131072 /dev/zero >"$tmp/zeros"
	objcopy --add-section .pad="$tmp/zeros" "$tmp/mini" "$tmp/mini-big"
	xz -c --check=crc64 --lzma2=preset=6,dict=4KiB "$tmp/mini" >"$d/sym_minidebug"
	xz -c --check=crc32 --lzma2=preset=6,dict=4KiB "$tmp/mini-big" >"$d/sym_minidebug_128k"
}

elfdeps
cficache
minidebug
echo "mkseeds: wrote elfdeps/, cficache/, minidebug/ under $out"
