#!/usr/bin/env bash
# vmlane.sh: the cgroup v2 lane. Compiles the integration test binaries on the
# host, boots Debian's kernel once under QEMU software emulation, runs every
# binary inside on a unified cgroup2 mount with kernel iSCSI, and brings the
# log and the exit code back.
#
#   integration/vmlane/vmlane.sh OUTDIR PACKAGE...
#
# The host root is shared read-only over virtio-9p with a tmpfs overlay on top
# (no image to build), a second writable 9p share carries results back. The
# guest has no network device: iSCSI stays on the guest's own 127.0.0.1.
#
# Environment:
#   CGRUN_BIN      absolute path of the built cgrun (required)
#   CI             passed to the tests (CI=true: a missing requirement fails)
#   CGRUN_*        passed to the tests unchanged
#   VM_TESTRUN     regexp for -test.run (e.g. TestV2 or TestVolume)
#   VM_TESTARGS    more test flags (e.g. -test.failfast)
#   VM_MEM=2048 (MiB)  VM_SMP=2  VM_TIMEOUT=900 (s, whole VM)  KVER (guest kernel)
#   VM_KEEP=1      keep the run directory   VM_VERBOSE=1  show kernel messages
#   VM_CMD         a bash command to run in the guest (in the current
#                  directory) instead of the tests, for poking at the lane
# Exit: the tests' exit code; 1 when the guest produced no result; 2 on a
# missing host requirement.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
GO=${GO:-go}
now() { date +%s.%N; }
dt() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b - a}'; }
die() { echo "vmlane: $*" >&2; exit 2; }

[ $# -ge 2 ] || die "usage: $0 OUTDIR PACKAGE..."
OUTDIR=$1; shift
mkdir -p "$OUTDIR"; OUTDIR=$(cd "$OUTDIR" && pwd)

if [ "$(id -u)" != 0 ]; then
	# Same rule as testutil.Require: skip locally, fail under CI=true.
	[ "${CI:-}" = true ] && die "the VM lane needs root (sudo make test-vm)"
	echo "vmlane: SKIP: the VM lane needs root (sudo make test-vm)"; exit 0
fi
[ -n "${CGRUN_BIN:-}" ] && [ -x "$CGRUN_BIN" ] || die "CGRUN_BIN must name the built cgrun (make build)"
case $CGRUN_BIN in /*) ;; *) die "CGRUN_BIN must be absolute: the guest sees the host's paths" ;; esac

# Guest kernel: Debian's linux-image-amd64 (the host may run another kernel).
KVER=${KVER:-$(for d in /lib/modules/*-amd64; do k=${d##*/}; [ -e "/boot/vmlinuz-$k" ] && echo "$k"; done | sort -V | tail -1)}
KERNEL=/boot/vmlinuz-$KVER
[ -n "$KVER" ] && [ -r "$KERNEL" ] || die "no guest kernel in /boot (make deps installs linux-image-amd64)"
for b in qemu-system-x86_64 busybox cpio gzip xz modinfo timeout; do
	command -v "$b" >/dev/null || die "missing $b (make deps)"
done

T0=$(now)
RUN=$(mktemp -d "$OUTDIR/run.XXXXXX")
[ "${VM_KEEP:-0}" = 1 ] || trap 'rm -rf "$RUN"' EXIT
mkdir -p "$RUN/initrd/bin" "$RUN/initrd/m" "$RUN/out" "$RUN/tests"

# 1. Test binaries, one per package that has tests; each runs in its
# package directory, as under `go test`. 9p caches loosely: build first.
n=0
while read -r dir pkg; do
	[ -n "$pkg" ] || continue
	n=$((n + 1)); bin=$RUN/tests/$n-${pkg##*/}.test
	"$GO" test -c -o "$bin" "$pkg"
	printf '%s\t%s\t%s\n' "$bin" "$dir" "$pkg" >> "$RUN/manifest"
done < <("$GO" list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.Dir}} {{.ImportPath}}{{end}}' "$@")
[ "$n" -gt 0 ] || die "no test packages in: $*"
if [ -n "${VM_CMD:-}" ]; then printf '%s\n' "$VM_CMD" > "$RUN/cmd"; pwd > "$RUN/cwd"; fi

# Environment for the tests: CI and every CGRUN_* variable.
{
	echo "export CI=$(printf '%q' "${CI:-}")"
	while IFS='=' read -r k _; do echo "export $k=$(printf '%q' "${!k}")"; done < <(env | grep -E '^CGRUN_[A-Za-z0-9_]*=' || true)
	echo "export VM_TESTRUN=$(printf '%q' "${VM_TESTRUN:-}")"
	echo "export VM_TESTARGS=$(printf '%q' "${VM_TESTARGS:-}")"
	echo "export VM_TIMEOUT=$(printf '%q' "${VM_TIMEOUT:-900}")"
} > "$RUN/env"
T1=$(now)

# 2. Stage-1 initramfs: static busybox and the modules that reach the 9p root;
# the rest is modprobed later from /lib/modules seen through 9p.
cp "$(command -v busybox)" "$RUN/initrd/bin/busybox"
S1MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay"
for m in $S1MODS; do
	f=$(modinfo -k "$KVER" -n "$m" 2>/dev/null) || die "module $m not found for $KVER"
	case $f in
	*.ko) cp "$f" "$RUN/initrd/m/$m.ko" ;;
	*.ko.xz) xz -dc "$f" > "$RUN/initrd/m/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" > "$RUN/initrd/m/$m.ko" ;;
	*) ;; # built in
	esac
done
sed -e "s|@S1MODS@|$S1MODS|" -e "s|@GUEST@|$HERE/guest.sh|" -e "s|@RUN@|$RUN|" "$HERE/stage1.sh" > "$RUN/initrd/init"
chmod +x "$RUN/initrd/init"
(cd "$RUN/initrd" && find . | cpio -o -H newc --quiet | gzip -1) > "$RUN/initrd.gz"

# 3. Boot the uncompressed vmlinux through PVH (Debian kernels have
# CONFIG_PVH): decompressing the bzImage costs ~3 s per boot under TCG.
# Extracted once and cached; the bzImage is the fallback.
VMLINUX=$OUTDIR/vmlinux-$KVER
if [ ! -s "$VMLINUX" ] || [ "$VMLINUX" -ot "$KERNEL" ]; then
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$KERNEL" | head -1 | cut -d: -f1 || true)
	# (process substitution: under pipefail, tail's SIGPIPE would fail a pipe)
	if [ -n "$off" ] && xz -dc --single-stream < <(tail -c +$((off + 1)) "$KERNEL") > "$VMLINUX.$$" 2>/dev/null &&
		[ "$(head -c4 "$VMLINUX.$$" | od -An -c | tr -d ' ')" = '177ELF' ]; then
		mv "$VMLINUX.$$" "$VMLINUX"
	else
		rm -f "$VMLINUX.$$"; echo "vmlane: no vmlinux in $KERNEL, booting the bzImage (slower)"
	fi
fi
[ -s "$VMLINUX" ] && KERNEL=$VMLINUX
T2=$(now)

# 4. Boot. -nodefaults and no -netdev: the guest has no network device.
echo "vmlane: kernel $KVER, ${VM_SMP:-2} vCPUs, ${VM_MEM:-2048} MiB, timeout ${VM_TIMEOUT:-900}s, $n test binaries${VM_TESTRUN:+, -test.run $VM_TESTRUN}"
LOGLEVEL=3; [ "${VM_VERBOSE:-0}" = 1 ] && LOGLEVEL=7
set +e
timeout -k 10 "${VM_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -cpu max -smp "${VM_SMP:-2}" -m "${VM_MEM:-2048}" \
	-nodefaults -nographic -no-reboot -serial stdio -monitor none \
	-kernel "$KERNEL" -initrd "$RUN/initrd.gz" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$RUN/out",mount_tag=out,security_model=none \
	-append "console=ttyS0 panic=-1 quiet loglevel=$LOGLEVEL cgrun.vmlane=1" </dev/null 2>&1 |
	tr -d '\r' | tee "$OUTDIR/console.log" |
	sed -u -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g' -e '/^SeaBIOS/d' -e 's/^Booting from ROM\.*//' -e '/^$/d'
qrc=${PIPESTATUS[0]}
set -e
T3=$(now)

cp "$RUN/out/test.log" "$OUTDIR/test.log" 2>/dev/null || true
[ -s "$RUN/out/timing" ] && GT=$(cat "$RUN/out/timing") || GT="guest: no timing"
echo "vmlane: TIMING build=$(dt "$T0" "$T1")s initrd+kernel=$(dt "$T1" "$T2")s vm=$(dt "$T2" "$T3")s ($GT) total=$(dt "$T0" "$T3")s"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vmlane: FAIL: qemu killed after VM_TIMEOUT=${VM_TIMEOUT:-900}s; the guest's log ends:"
	tail -n 40 "$OUTDIR/test.log" 2>/dev/null | sed 's/^/  | /'
fi
if ! rc=$(cat "$RUN/out/rc" 2>/dev/null) || [ -z "$rc" ]; then
	echo "vmlane: FAIL: the guest produced no result (qemu rc=$qrc); console in $OUTDIR/console.log"
	exit 1
fi
if [ -z "${VM_CMD:-}" ]; then
	# A lane that ran fewer binaries than it built has not tested: fail.
	ran=$(grep -c '^vmlane: --- ' "$OUTDIR/test.log" 2>/dev/null || true)
	if [ "${ran:-0}" != "$n" ]; then
		echo "vmlane: FAIL: ${ran:-0} of $n test binaries ran in the guest; log in $OUTDIR/test.log"
		exit 1
	fi
fi
echo "vmlane: guest tests exit code $rc; $n test binaries ran; log in $OUTDIR/test.log"
exit "$rc"
