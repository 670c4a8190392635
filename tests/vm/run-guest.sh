#!/usr/bin/env bash
# run-guest.sh [-o DIR] [-t SECS] BINARY_DIR CMD...: boots Debian 12's own kernel (the one
# linux-image-amd64 depends on, fetched once by scripts/fetch-kernel) under qemu with TCG,
# with BINARY_DIR/cprof-bpf, its libraries and the workloads in an initramfs, and runs CMD
# there with busybox sh, in /job. /job is DIR on the host (a 9p share; default build/vm/job,
# emptied first): whatever CMD writes there is on the host when this returns, with
# job.log (CMD's stdout and stderr), job.rc (its exit status), boot.uptime (the guest's
# uptime when CMD started) and console.log (the whole serial console).
#
# By hand, e.g. another build of the tool against the 6.1 kernel:
#   tests/vm/run-guest.sh ../other-tree cprof-bpf -v -t cpu -o /job/p -- cpusplit 2
#   go tool pprof -top build/vm/job/p/cpu.pb.gz
# The workloads are /wl/NAME in the guest (on its PATH), the matrix script /vm/matrix.sh.
#
#   -o DIR    the share (created; emptied first if an earlier run made it, else it must be
#             empty)
#   -t SECS   host-side limit for the whole guest, boot included (default 300): a hung guest
#             is killed then
# Environment:
#   CPROF_VM_WORKLOADS  workloads to include, names in build/workloads (default: cpusplit
#                       offcpu locks heap); CPROF_VM_WORKLOAD_DIR where they are (default:
#                       BINARY_DIR/build/workloads if it exists, else this tree's)
#   CPROF_VM_KERNEL     an extracted kernel package tree to boot instead of fetching one
#   CPROF_VM_MEM        guest memory in MiB (default 2048);  CPROF_VM_SMP  CPUs (default 2)
#
# Prints "run-guest: PHASE N.N s" lines on stderr (kernel, image, guest, boot).
# Exit: CMD's status; 124 when the guest did not finish within SECS; 125 when the guest ran
# nothing (its set-up failed: see console.log); 3 when qemu, busybox, cpio or the kernel
# cannot be had (the reason on stderr, one line "run-guest: ..."); 2 for bad arguments or an
# image that could not be built.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
share=$root/build/vm/job
limit=300

usage() { echo "usage: run-guest.sh [-o DIR] [-t SECS] BINARY_DIR CMD..." >&2; exit 2; }
unavailable() { echo "run-guest: $*" >&2; exit 3; }
now_ms() { date +%s%3N; }
# phase NAME T0: one timing line for the phase that began at T0 (ms).
phase() { awk -v n="$1" -v ms="$(($(now_ms) - $2))" 'BEGIN { printf "run-guest: %s %.1f s\n", n, ms / 1000 }' >&2; }

while getopts o:t: opt; do
	case $opt in
	o) share=$OPTARG ;;
	t) limit=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
[[ "$limit" =~ ^[0-9]+$ ]] || usage
bindir=$1
shift
[ -x "$bindir/cprof-bpf" ] || { echo "run-guest: $bindir/cprof-bpf is not built" >&2; exit 2; }
wldir=${CPROF_VM_WORKLOAD_DIR:-}
if [ -z "$wldir" ]; then
	wldir=$root/build/workloads
	[ -d "$bindir/build/workloads" ] && wldir=$bindir/build/workloads
fi
workloads=()
for w in ${CPROF_VM_WORKLOADS:-cpusplit offcpu locks heap}; do
	workloads+=("$wldir/$w")
done

qemu=$(command -v qemu-system-x86_64) ||
	unavailable "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v busybox >/dev/null || unavailable "busybox is not installed (apt-get install busybox-static)"
command -v cpio >/dev/null || unavailable "cpio is not installed (apt-get install cpio)"

t0=$(now_ms)
tree=${CPROF_VM_KERNEL:-}
if [ -z "$tree" ]; then
	tree=$("$root/scripts/fetch-kernel" "$root/build/vm") || exit 3
fi
kernel=$(ls "$tree"/boot/vmlinuz-* 2>/dev/null | head -1)
[ -n "$kernel" ] || unavailable "no boot/vmlinuz-* in $tree"
phase kernel "$t0"

t0=$(now_ms)
mkdir -p "$share" || exit 2
share=$(cd "$share" && pwd)
# Only a directory this script made is emptied: a mistyped -o must not cost anything.
if [ -n "$(ls -A "$share")" ] && [ ! -e "$share/.cprof-vm-share" ]; then
	echo "run-guest: $share is not empty and not a share of an earlier run; not emptying it" >&2
	exit 2
fi
find "$share" -mindepth 1 -delete
touch "$share/.cprof-vm-share"
image=$share/../$(basename "$share").cpio
"$here/build-image.sh" "$tree" "$bindir/cprof-bpf" "$image" "${workloads[@]}" || exit 2
# The command, as one line of shell words for the guest's sh.
printf '%q ' "$@" >"$share/job.sh"
echo >>"$share/job.sh"
phase image "$t0"

# TCG with a thread per vCPU; every CPU feature TCG has but 5-level paging, which x86-64
# machines rarely have and which moves the top of user space. No network; the guest powers
# itself off (-no-reboot turns a panic into an exit as well). The host-side timeout bounds
# everything, boot included. A soft lockup's report prints every CPU's stack (level 4, which
# loglevel=5 lets through to the console): a guest that stalls says where each CPU was.
t0=$(now_ms)
timeout -k 10 "$limit" "$qemu" -accel tcg,thread=multi -cpu max,la57=off \
	-smp "${CPROF_VM_SMP:-2}" -m "${CPROF_VM_MEM:-2048}" \
	-kernel "$kernel" -initrd "$image" \
	-append "console=ttyS0 rdinit=/init panic=-1 loglevel=5 mitigations=off softlockup_all_cpu_backtrace=1" \
	-nographic -no-reboot -nic none \
	-virtfs "local,path=$share,mount_tag=job,security_model=none,id=job" \
	</dev/null >"$share/console.log" 2>&1
qrc=$?
phase guest "$t0"
rm -f "$image"
if [ -r "$share/boot.uptime" ]; then
	awk '{ printf "run-guest: boot %.1f s\n", $1 }' "$share/boot.uptime" >&2
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "run-guest: the guest did not finish within $limit s (console: $share/console.log)" >&2
	exit 124
fi
if [ ! -r "$share/job.rc" ]; then
	echo "run-guest: the guest ran nothing (qemu exit $qrc); console.log says:" >&2
	grep -E 'vm-init|Kernel panic|qemu-system' "$share/console.log" | tail -5 | sed 's/^/    | /' >&2
	exit 125
fi
exit "$(cat "$share/job.rc")"
