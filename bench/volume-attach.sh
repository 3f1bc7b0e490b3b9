#!/usr/bin/env bash
# volume-attach.sh: volume attach time of cgrun beside a hand-run iscsiadm
# login + mount of the same LUN. Runs INSIDE the VM lane guest (kernel iSCSI,
# tgtd on 127.0.0.1:3260, iscsid, udevd); `make bench-vm` boots it:
#
#   VM_CMD='bash bench/volume-attach.sh' CGRUN_BIN=$PWD/bin/cgrun \
#       integration/vmlane/vmlane.sh build/vm-bench ./volume/
#
# One 256 MiB LUN is provisioned on tgt with cgrun and published to this
# node; its filesystem is made by cgrun's first (warm-up) attach. Then ROUNDS
# rounds alternate:
#   cgrun: cgrun volume attach --user bench NAME; cgrun volume detach ...
#   hand:  iscsiadm -m node -o new; --login; poll sysfs for the LUN's disk;
#          mount; then umount; --logout; -m node -o delete
# Attach is timed alone, and the whole cycle (attach + detach). cgrun's
# attach also sets node timeouts, checks the disk's identity, probes it with
# blkid and runs e2fsck -p before mounting; the hand path does none of that.
# A second volume on two portals (127.0.0.1 and 127.0.0.2, dm-multipath)
# joins the rounds; then the stall of a writer on it while its active path
# is cut is measured once.
# Everything made here is removed on exit, failure included.
#
# Environment: CGRUN_BIN (required), ROUNDS=8, VOL=benchvol
set -euo pipefail

CGRUN=${CGRUN_BIN:?CGRUN_BIN must name the built cgrun}
ROUNDS=${ROUNDS:-8}
VOL=${VOL:-benchvol}
USER_ID=bench
POLL=0.01 # hand path's poll for the disk (cgrun polls every 100 ms)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/volbench.XXXXXX")
MNT=$WORK/mnt
mkdir -p "$MNT"

die() { echo "volume-attach: $*" >&2; exit 1; }
now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b - a) / 1e6}'; }

IQN="" PORTAL="" LUN=""
created=0 created2=0
VOL2=${VOL}-mp
PORTAL2=127.0.0.2:3260 # the lane's tgtd listens on both loopback portals
CUT=() # the iptables rules of a cut path, while one is cut

cleanup() {
	local rc=$?
	set +e
	mountpoint -q "$MNT" && umount "$MNT"
	if [ -n "$IQN" ]; then
		iscsiadm -m node -T "$IQN" -p "$PORTAL" --logout >/dev/null 2>&1
		iscsiadm -m node -T "$IQN" -p "$PORTAL" -o delete >/dev/null 2>&1
	fi
	for r in "${CUT[@]}"; do iptables -D INPUT $r 2>/dev/null; done
	if [ "$created2" = 1 ]; then
		"$CGRUN" volume detach --user "$USER_ID" "$VOL2" >/dev/null 2>&1
		"$CGRUN" volume detach --user stall "$VOL2" >/dev/null 2>&1
		"$CGRUN" volume reconcile "$VOL2" >/dev/null 2>&1
		"$CGRUN" volume unpublish "$VOL2" >/dev/null 2>&1
		"$CGRUN" volume rm "$VOL2" >/dev/null || { echo "volume-attach: volume $VOL2 left behind" >&2; rc=1; }
	fi
	if [ "$created" = 1 ]; then
		"$CGRUN" volume detach --user "$USER_ID" "$VOL" >/dev/null 2>&1
		"$CGRUN" volume reconcile "$VOL" >/dev/null 2>&1
		"$CGRUN" volume unpublish "$VOL" >/dev/null 2>&1
		"$CGRUN" volume rm "$VOL" >/dev/null || { echo "volume-attach: volume $VOL left behind" >&2; rc=1; }
	fi
	if [ -n "$IQN" ] && iscsiadm -m session 2>/dev/null | grep -qF "$IQN"; then
		echo "volume-attach: an iSCSI session to $IQN is left" >&2; rc=1
	fi
	if [ -n "$IQN" ] && iscsiadm -m node 2>/dev/null | grep -qF "$IQN"; then
		echo "volume-attach: a node record of $IQN is left" >&2; rc=1
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# disk prints the sdX of LUN $LUN behind the session to $IQN, if any.
disk() {
	local s b
	for s in /sys/class/iscsi_session/session*; do
		[ "$(cat "$s/targetname" 2>/dev/null)" = "$IQN" ] || continue
		for b in "$s"/device/target*/*:*:*:"$LUN"/block/*; do
			[ -e "$b" ] && { echo "${b##*/}"; return 0; }
		done
	done
	return 1
}

# --- provision ---------------------------------------------------------------
created=1
"$CGRUN" volume create --provision tgt --size 256M "$VOL" >/dev/null
"$CGRUN" volume publish "$VOL" >/dev/null
info=$("$CGRUN" volume inspect "$VOL")
IQN=$(jq -r 'first(.. | objects | .iqn? // empty)' <<<"$info")
PORTAL=$(jq -r 'first(.. | objects | .portal? // empty)' <<<"$info")
LUN=$(jq -r 'first(.. | objects | .lun? // empty)' <<<"$info")
[ -n "$IQN" ] && [ -n "$PORTAL" ] && [ -n "$LUN" ] || die "cannot read iqn, portal, lun from: $info"
FSTYPE=$(jq -r 'first(.. | objects | .fs? // empty)' <<<"$info")
created2=1
"$CGRUN" volume create --provision tgt --size 256M --portal "$PORTAL" --portal "$PORTAL2" "$VOL2" >/dev/null
"$CGRUN" volume publish "$VOL2" >/dev/null

# --- one cycle of each -------------------------------------------------------
# cgrun_cycle [VOLUME]: attach and detach $VOL (or VOLUME) once.
cgrun_cycle() {
	local t0 t1 t2 vol=${1:-$VOL}
	t0=$(now)
	"$CGRUN" volume attach --user "$USER_ID" "$vol" >/dev/null
	t1=$(now)
	"$CGRUN" volume detach --user "$USER_ID" "$vol" >/dev/null
	t2=$(now)
	echo "$(ms "$t0" "$t1") $(ms "$t0" "$t2")"
}

mp_cycle() { cgrun_cycle "$VOL2"; }

hand_cycle() {
	local t0 t1 t2 d="" i
	t0=$(now)
	iscsiadm -m node -T "$IQN" -p "$PORTAL" -o new >/dev/null
	iscsiadm -m node -T "$IQN" -p "$PORTAL" --login >/dev/null
	for i in $(seq 3000); do
		d=$(disk) && [ -b "/dev/$d" ] && break
		d=""; sleep "$POLL"
	done
	[ -n "$d" ] || die "hand path: no disk for LUN $LUN of $IQN after 30 s"
	mount -t "$FSTYPE" "/dev/$d" "$MNT"
	t1=$(now)
	umount "$MNT"
	iscsiadm -m node -T "$IQN" -p "$PORTAL" --logout >/dev/null
	iscsiadm -m node -T "$IQN" -p "$PORTAL" -o delete >/dev/null
	t2=$(now)
	echo "$(ms "$t0" "$t1") $(ms "$t0" "$t2")"
}

# Warm-up (not counted): cgrun's first attach makes the filesystem; one hand
# cycle warms the page cache of iscsiadm and mount.
cgrun_cycle >/dev/null
mp_cycle >/dev/null
hand_cycle >/dev/null

: > "$WORK/cgrun" ; : > "$WORK/hand" ; : > "$WORK/mp"
for r in $(seq "$ROUNDS"); do
	# Rotate which goes first, so none always follows another.
	case $((r % 3)) in
	1) cgrun_cycle >> "$WORK/cgrun"; mp_cycle >> "$WORK/mp"; hand_cycle >> "$WORK/hand" ;;
	2) mp_cycle >> "$WORK/mp"; hand_cycle >> "$WORK/hand"; cgrun_cycle >> "$WORK/cgrun" ;;
	0) hand_cycle >> "$WORK/hand"; cgrun_cycle >> "$WORK/cgrun"; mp_cycle >> "$WORK/mp" ;;
	esac
	echo "volume-attach: round $r/$ROUNDS cgrun $(tail -1 "$WORK/cgrun") two paths $(tail -1 "$WORK/mp") hand $(tail -1 "$WORK/hand") (attach, cycle ms)" >&2
done

# --- the IO stall when the path carrying IO is cut ---------------------------
# A writer on the multipath volume: 4 KiB O_DIRECT writes with fsync, each
# timed; the path of the active path group is cut with iptables (both
# directions) for 30 s, then restored. The stall is the longest write; the
# reinstatement is the time from the restore until dm-multipath has every
# path active again.
staging=$("$CGRUN" volume attach --user stall "$VOL2")
active=$("$CGRUN" volume inspect "$VOL2" | jq -r '.paths[] | select(.group == "active") | .portal')
[ -n "$active" ] || die "no active path group on $VOL2"
( i=0; while :; do s=$(now); dd if=/dev/zero of="$staging/w" bs=4k count=1 seek=$((i % 256)) oflag=direct conv=notrunc,fsync status=none || { echo "ERR"; exit 1; }; echo "$(ms "$s" "$(now)")"; i=$((i + 1)); done ) > "$WORK/writes" &
writer=$!
sleep 3
host=${active%:*} port=${active##*:}
CUT=("-d $host -p tcp --dport $port -j DROP" "-s $host -p tcp --sport $port -j DROP")
for r in "${CUT[@]}"; do iptables -I INPUT $r; done
sleep 30
for r in "${CUT[@]}"; do iptables -D INPUT $r; done
CUT=()
t0=$(now); reinstated=""
for i in $(seq 120); do
	if [ "$("$CGRUN" volume inspect "$VOL2" | jq '[.paths[] | select(.dm == "active")] | length')" = 2 ]; then
		reinstated=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", (b - a) / 1e9}'); break
	fi
	sleep 0.5
done
kill "$writer"; wait "$writer" 2>/dev/null || true
"$CGRUN" volume detach --user stall "$VOL2" >/dev/null
grep -q ERR "$WORK/writes" && die "a write failed while $active was cut"
writes=$(wc -l < "$WORK/writes")
stall=$(sort -g "$WORK/writes" | tail -1 | awk '{printf "%.1f", $1 / 1000}')
typical=$(sort -g "$WORK/writes" | awk '{v[NR] = $1} END {printf "%.1f", v[int((NR + 1) / 2)]}')

# stats FILE COLUMN: median min max, in ms.
stats() {
	awk -v c="$2" '{print $c}' "$1" | sort -g | awk '
		{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}
read -r ca_med ca_min ca_max < <(stats "$WORK/cgrun" 1)
read -r cc_med cc_min cc_max < <(stats "$WORK/cgrun" 2)
read -r ma_med ma_min ma_max < <(stats "$WORK/mp" 1)
read -r mc_med mc_min mc_max < <(stats "$WORK/mp" 2)
read -r ha_med ha_min ha_max < <(stats "$WORK/hand" 1)
read -r hc_med hc_min hc_max < <(stats "$WORK/hand" 2)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", a / b}'; }

cat <<EOF
### Volume attach (VM lane)

$ROUNDS interleaved rounds, one ${FSTYPE} LUN (256 MiB, tgt on 127.0.0.1:3260, LUN $LUN), guest kernel $(uname -r).
Hand path: iscsiadm -m node -o new, --login, sysfs poll every ${POLL}s, mount; detach: umount, --logout, -o delete.

| path | attach median | min | max | attach+detach median | min | max |
|---|---:|---:|---:|---:|---:|---:|
| cgrun volume attach / detach | $ca_med ms | $ca_min ms | $ca_max ms | $cc_med ms | $cc_min ms | $cc_max ms |
| iscsiadm + mount by hand | $ha_med ms | $ha_min ms | $ha_max ms | $hc_med ms | $hc_min ms | $hc_max ms |
| cgrun / hand | $(ratio "$ca_med" "$ha_med") | | | $(ratio "$cc_med" "$hc_med") | | |
| cgrun, two paths (dm-multipath) | $ma_med ms | $ma_min ms | $ma_max ms | $mc_med ms | $mc_min ms | $mc_max ms |
| two paths / one | $(ratio "$ma_med" "$ca_med") | | | $(ratio "$mc_med" "$cc_med") | | |

Path failure: the portal of the active path group ($active) cut for 30 s under a writer of
4 KiB O_DIRECT+fsync writes to the filesystem of the two-path volume: $writes writes, none failed;
a write takes $typical ms (median), the longest (the IO stall) $stall s; every path active again $reinstated s after the restore.
EOF
