#!/usr/bin/env bash
# build-image.sh KERNEL_TREE CPROF OUT.cpio [EXECUTABLE...]: the guest's initramfs (newc,
# uncompressed: the guest unpacks it faster than it would decompress it under TCG).
#
#   /init                 tests/vm/init
#   /bin/busybox          busybox-static (the init makes its applet links)
#   /bin/cprof-bpf        CPROF
#   /wl/NAME              each EXECUTABLE (the workloads), on the guest's PATH
#   /vm/                  the guest-side scripts of tests/vm (matrix.sh)
#   shared libraries      every library ldd names for these, at the same paths, with their
#                         separate debug files from /usr/lib/debug/.build-id when present
#                         (libc's start_thread is named only there)
#   /lib/modules/         virtio-pci and 9p from KERNEL_TREE and what they depend on, with
#                         load.list, the order to insmod them in
#
# Exit 0, or 1 with one line on stderr saying what is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tree=$1 cprof=$2 out=$3
shift 3
# The modules the init loads, dependencies found from each module's own "depends=" field.
want_modules="virtio_pci 9pnet_virtio 9p"

die() { echo "build-image: $*" >&2; exit 1; }

root=$(mktemp -d "${TMPDIR:-/tmp}/cprof-vm-root.XXXXXX") || die "cannot create a directory"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,wl,vm,proc,sys,dev,tmp,etc,lib/modules} || die "cannot fill $root"

busybox=$(command -v busybox) || die "busybox is not installed (apt-get install busybox-static)"
readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter' &&
	die "$busybox is not statically linked (apt-get install busybox-static)"
install -m 0755 "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/matrix.sh" "$root/vm/matrix.sh"
[ -x "$cprof" ] || die "$cprof is not an executable"
install -m 0755 "$cprof" "$root/bin/cprof-bpf"
for e in "$@"; do
	[ -x "$e" ] || die "$e is not an executable"
	install -m 0755 "$e" "$root/wl/$(basename "$e")"
done

# Shared libraries at the paths the dynamic linker resolves, and their debug files.
libs=$(ldd "$cprof" "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && NF == 2 { print $1 }' |
	sort -u)
for l in $libs; do
	mkdir -p "$root$(dirname "$l")"
	cp -L "$l" "$root$l" || die "cannot copy $l"
	id=$(readelf -n "$l" 2>/dev/null | sed -n 's/^ *Build ID: \([0-9a-f]*\)$/\1/p')
	dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
	if [ -n "$id" ] && [ -f "$dbg" ]; then
		mkdir -p "$root$(dirname "$dbg")"
		cp -L "$dbg" "$root$dbg"
	fi
done

# Modules: find each by name under the tree's lib/modules/VERSION/kernel, then its
# dependencies before it (depth first; each listed once).
moddir=$(ls -d "$tree"/lib/modules/*/kernel 2>/dev/null | head -1)
[ -n "$moddir" ] || die "$tree has no lib/modules/*/kernel"
declare -A listed=()
order=()
add_module() {
	local name=$1 f dep deps
	[ -n "${listed[$name]:-}" ] && return 0
	listed[$name]=1
	f=$(find "$moddir" -name "$name.ko" -o -name "${name//_/-}.ko" | head -1)
	[ -n "$f" ] || die "module $name is not in $moddir (compressed modules are not handled)"
	deps=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -1)
	for dep in ${deps//,/ }; do
		add_module "$dep"
	done
	cp "$f" "$root/lib/modules/$name.ko"
	order+=("$name.ko")
}
for m in $want_modules; do
	add_module "$m"
done
printf '%s\n' "${order[@]}" >"$root/lib/modules/load.list"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio -o -0 -H newc -R 0:0 --quiet) >"$out.tmp" ||
	die "cpio failed"
mv "$out.tmp" "$out"
