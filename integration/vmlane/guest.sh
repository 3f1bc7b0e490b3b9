#!/bin/bash
# guest.sh RUNDIR: PID 1 of the VM lane after stage 1. Prepares the guest
# (unified cgroup2, loopback, kernel iSCSI initiator and targets, udev), runs
# every test binary of RUNDIR/manifest and leaves test.log, timing and rc in
# the writable 9p share, then powers off.
RUN=$1
OUT=/run/vmlane-out
SCRATCH=/vmlane-scratch
export TMPDIR=$SCRATCH
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8
# Go programs (cgrun, the tests) crashed twice under TCG with -cpu max in the
# runtime's symbol table lookup during asynchronous preemption ("fatal error:
# index out of range"): no preemption signals in the guest.
export GODEBUG=asyncpreemptoff=1
# lvm warns of every descriptor a test binary's shell leaves open
export LVM_SUPPRESS_FD_WARNINGS=1
up() { cut -d' ' -f1 /proc/uptime; }
G0=$(up)

# start_tgtd: tgtd on two loopback portals (a multipath volume's two
# paths), its PID in /run/vmlane-tgtd.pid (a test restarts it).
start_tgtd() {
	tgtd --iscsi portal=127.0.0.1:3260 >> $SCRATCH/tgtd.log 2>&1 || return
	local i
	for i in $(seq 100); do tgtadm --op show --mode sys > /dev/null 2>&1 && break; sleep 0.1; done
	tgtadm --lld iscsi --op new --mode portal --param portal=127.0.0.2:3260 || return
	pgrep -x -o tgtd > /run/vmlane-tgtd.pid # the daemon, not its helper
}

# start_thinpool: an LVM thin pool cgrun/pool (the README's) on a loop device over a
# sparse file (thin volumes: expansion, snapshots).
start_thinpool() {
	# lvm scans every block device at each command: the lane's lvm looks at
	# its loop device only, never at the tests' iSCSI disks (a scan of a
	# disk whose path a multipath test cut waits on its IO), as hosts with
	# SAN disks set a filter.
	mkdir -p /run/vmlane-lvm
	printf 'devices {\n\tglobal_filter = [ "a|^/dev/loop|", "r|.*|" ]\n}\n' > /run/vmlane-lvm/lvm.conf
	export LVM_SYSTEM_DIR=/run/vmlane-lvm
	truncate -s 4G $SCRATCH/thinpool.img || return
	local loop; loop=$(losetup -f --show $SCRATCH/thinpool.img) || return
	pvcreate -qq "$loop" && vgcreate -qq cgrun "$loop" && lvcreate -qq -y -L 2G -T cgrun/pool
}

setup() {
	mount -t tmpfs -o mode=755 tmpfs /run
	mkdir -p /run/lock /dev/pts /dev/shm $OUT
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	ln -sf /proc/self/fd /dev/fd
	# Real tmpfs where tests and cgrun write: the root is an overlayfs, and an
	# overlay upper dir (image store, t.TempDir()) cannot live on overlayfs.
	# Scratch goes to a directory of the lane's own (TMPDIR), never over /tmp
	# or /var/tmp: the checkout and its run directory may live there.
	mkdir -p /var/lib/cgrun $SCRATCH
	mount -t tmpfs -o mode=1777 tmpfs $SCRATCH || return
	mount -t tmpfs -o mode=755 tmpfs /var/lib/cgrun || return
	mount -t 9p -o trans=virtio,version=9p2000.L out $OUT || return
	# cgroup v2 only, delegation-safe, every controller enabled for children.
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || return
	local c
	for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
		echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || echo "vmlane: cannot enable $c"
	done
	hostname vmlane
	ip link set lo up || return # without it every iSCSI connection times out
	# Fail fast on refused logins (Debian waits 8 x 15 s), in the guest's copy only.
	sed -i -e 's/^node.session.initial_login_retry_max.*/node.session.initial_login_retry_max = 2/' \
		-e 's/^node.conn\[0\].timeo.login_timeout.*/node.conn[0].timeo.login_timeout = 5/' /etc/iscsi/iscsid.conf
	local t0; t0=$(up)
	# dm_* for multipath volumes, nf_tables for the iptables rules that cut
	# one of their paths.
	modprobe -a iscsi_tcp sd_mod loop bfq configfs iscsi_target_mod target_core_file target_core_iblock veth bridge \
		dm_multipath dm_round_robin dm_service_time dm_thin_pool nf_tables || return
	STEPS="modprobe=$(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.1f", b-a}')s"
	t0=$(up)
	mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config || return
	/lib/systemd/systemd-udevd --daemon >/dev/null 2>&1 || echo "vmlane: udevd failed"
	start_tgtd || return
	iscsid || return
	# dm-multipath with Debian's defaults (no multipath.conf: find_multipaths
	# strict, so only the WWIDs cgrun adds get a map); its wwids file is in
	# the guest's /etc overlay.
	multipathd || return
	mkdir -p /sys/kernel/config/target/iscsi # registers LIO's iSCSI fabric
	start_thinpool || return
	STEPS="$STEPS udevd+tgtd+iscsid=$(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.1f", b-a}')s"
}

run_tests() {
	. "$RUN/env"
	local args=(-test.v -test.count=1) rc=0 r bin dir pkg left ran=0
	if [ ! -s "$RUN/manifest" ]; then
		echo "vmlane: FAIL: no test manifest at $RUN/manifest" | tee -a $OUT/test.log
		return 1
	fi
	[ -n "$VM_TESTRUN" ] && args+=("-test.run=$VM_TESTRUN")
	# shellcheck disable=SC2206 # VM_TESTARGS is a list of flags
	[ -n "$VM_TESTARGS" ] && args+=($VM_TESTARGS)
	while IFS=$'\t' read -r bin dir pkg; do
		echo "vmlane: === $pkg" | tee -a $OUT/test.log
		# Each binary gets what is left before qemu's timeout, less 20 s to
		# report: a hung test panics with its goroutines instead of vanishing.
		left=$(awk -v t="$VM_TIMEOUT" -v u="$(up)" 'BEGIN{printf "%d", t - 20 - u}')
		if [ "$left" -lt 10 ]; then
			echo "vmlane: FAIL: no time left for $pkg (VM_TIMEOUT=$VM_TIMEOUT)"; rc=1; continue
		fi
		(cd "$dir" && exec "$bin" "${args[@]}" "-test.timeout=${left}s") 2>&1 | tee -a $OUT/test.log
		r=${PIPESTATUS[0]}
		echo "vmlane: --- $pkg exit $r" | tee -a $OUT/test.log
		[ "$r" = 0 ] || rc=$r
		ran=$((ran + 1))
	done < "$RUN/manifest"
	[ "$ran" -gt 0 ] || { echo "vmlane: FAIL: no test binary ran"; return 1; }
	return $rc
}

echo "vmlane: guest kernel $(uname -r), userspace at ${G0}s"
setup 2>&1; src=$?
G1=$(up)
if [ $src != 0 ]; then
	echo "vmlane: FAIL: guest setup failed"; rc=3
else
	echo "vmlane: guest ready: cgroup2 [$(cat /sys/fs/cgroup/cgroup.subtree_control)], tgtd 127.0.0.1:3260 127.0.0.2:3260, iscsid, multipathd, thin pool cgrun/pool"
	if [ -s "$RUN/cmd" ]; then
		. "$RUN/env"
		(cd "$(cat "$RUN/cwd")" && exec bash "$RUN/cmd") 2>&1 | tee -a $OUT/test.log; rc=${PIPESTATUS[0]}
	else
		run_tests; rc=$?
		# Data safety: a filesystem error means a disk went away under a
		# live filesystem (a volume detached too early), whatever the
		# tests said.
		if dmesg | grep -q 'EXT4-fs error\|XFS (.*): .*[Ee]rror'; then
			echo "vmlane: FAIL: the guest kernel logged filesystem errors:" | tee -a $OUT/test.log
			dmesg | grep 'EXT4-fs error\|XFS (.*): .*[Ee]rror' | head -5 | tee -a $OUT/test.log
			rc=1
		fi
	fi
fi
G2=$(up)
echo "boot=${G0}s setup=$(awk -v a=$G0 -v b=$G1 'BEGIN{printf "%.1f", b-a}')s [$STEPS] tests=$(awk -v a=$G1 -v b=$G2 'BEGIN{printf "%.1f", b-a}')s" > $OUT/timing
echo "$rc" > $OUT/rc
sync
umount $OUT
busybox poweroff -f
