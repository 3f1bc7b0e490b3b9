#!/bin/busybox sh
# Stage-1 init of the VM lane (vmlane.sh fills in @...@): mount the host root
# read-only over 9p, put a tmpfs overlay on top and switch to guest.sh.
B=/bin/busybox
$B mkdir -p /proc /sys /dev /lower /rw /newroot
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
for m in @S1MODS@; do
	[ -e /m/$m.ko ] && { $B insmod /m/$m.ko || echo "stage1: insmod $m failed"; }
done
i=0
until $B grep -qs hostroot /sys/bus/virtio/drivers/9pnet_virtio/virtio*/mount_tag; do
	i=$((i + 1)); [ $i -gt 400 ] && { echo "stage1: no 9p device"; break; }
	$B usleep 25000
done
$B mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /lower || echo "stage1: 9p mount failed"
$B mount -t tmpfs -o mode=755 rw /rw
$B mkdir -p /rw/upper /rw/work
$B mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || echo "stage1: overlay mount failed"
for d in proc sys dev; do $B mount --move /$d /newroot/$d; done
exec $B switch_root /newroot /bin/bash @GUEST@ @RUN@
echo "stage1: switch_root failed"
$B poweroff -f
