#!/usr/bin/env bash
# mkrootfs.sh DIR: builds cgrun's test image, a root filesystem holding
# busybox (static, with an applet symlink per command) and stress with the
# shared libraries it loads, taken from the Debian packages installed on this
# machine (busybox-static, stress; `make deps` installs them), and sysprobe,
# a static probe of the system calls a seccomp profile refuses, compiled
# from sysprobe.c beside this script. No network.
set -euo pipefail

out=${1:?usage: mkrootfs.sh DIR}
busybox=$(dpkg -L busybox-static | grep -m1 '/bin/busybox$')
stress=$(dpkg -L stress | grep -m1 '/bin/stress$')

tmp=$(mktemp -d "$(dirname "$out")/.rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var/tmp}
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
install -m 0755 "$busybox" "$tmp/bin/busybox"
for applet in $("$busybox" --list-full); do
	[ -e "$tmp/$applet" ] || ln -s /bin/busybox "$tmp/$applet"
done
install -m 0755 "$stress" "$tmp/usr/bin/stress"
${CC:-gcc} -static -O2 -Wall -o "$tmp/usr/bin/sysprobe" "$(dirname "$0")/sysprobe.c"

# The libraries stress loads, at the paths the dynamic loader looks for them.
for lib in $(ldd "$stress" | awk '$1 ~ /^\// {print $1} $3 ~ /^\// {print $3}'); do
	mkdir -p "$tmp$(dirname "$lib")"
	cp -L "$lib" "$tmp$lib"
done

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$tmp/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
printf 'cgrun-test\n' >"$tmp/etc/hostname"

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "test image: $out ($(du -sh "$out" | cut -f1))"
