#!/bin/sh
# Regenerate vmlinux/vmlinux.h from the running kernel's BTF.
# The checked-in copy is what builds use; run this only to refresh it.
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
out=${2:-vmlinux/vmlinux.h}
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux: $btf not readable: the kernel has no BTF (CONFIG_DEBUG_INFO_BTF)" >&2
	exit 1
fi
tmp="$out.tmp.$$"
bpftool btf dump file "$btf" format c > "$tmp"
mv "$tmp" "$out"
