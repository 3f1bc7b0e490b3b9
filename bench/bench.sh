#!/usr/bin/env bash
# cgrun's benchmark: cgrun beside runc, crun, podman and a namespace floor,
# in one run, on the same rootfs. Prints a markdown report on stdout.
#
#   bench/bench.sh CGRUN_BIN ROOTFS
#
# Env: ROUNDS (interleaved rounds, default 6), RUNS (runs per command per
# round, default 5), CONCURRENT (default 100), CONC_ROUNDS (rounds of the
# concurrent starts, each runner once a round, default 3), MONITORS (default 5),
# CGRUN_BEFORE (another cgrun binary, e.g. an older build: an extra row),
# RUNC_LC=0 (skip building runc at the libcontainer version cgrun links),
# PHASE_RUNS (back-to-back starts per runner for the phase split, default 20).
# Everything it makes (containers, cgroups under /cgrun-bench*, podman
# containers and the podman image it imports) is removed on exit.
set -euo pipefail

CGRUN=$(readlink -f "${1:?usage: bench.sh CGRUN_BIN ROOTFS}")
ROOTFS=$(readlink -f "${2:?usage: bench.sh CGRUN_BIN ROOTFS}")
ROUNDS=${ROUNDS:-6}
RUNS=${RUNS:-5}
CONCURRENT=${CONCURRENT:-100}
CONC_ROUNDS=${CONC_ROUNDS:-3}
MONITORS=${MONITORS:-5}
PARENT=/cgrun-bench-$$
PODMAN_IMAGE=localhost/cgrun-bench-$$:latest
# This host's hard rlimits may be below podman's defaults; without
# CAP_SYS_RESOURCE the runtime cannot raise them, so ask for lower ones.
PODMAN_ULIMITS="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
# crun refuses hybrid cgroups: run it where the unified mount is a tmpfs.
CRUN_NS="unshare -m sh -c 'mount -t tmpfs tmpfs /sys/fs/cgroup/unified && exec \"\$0\" \"\$@\"'"

# Debian's runc by its path: a runc that `go install` put earlier on PATH
# would otherwise stand in for it.
RUNC=/usr/sbin/runc

W=$(mktemp -d /tmp/cgrun-bench.XXXXXX)
log() { echo "bench: $*" >&2; }
# State roots on a tmpfs, as /run is on a usual host (here /run is on the
# root disk, where every file created costs an ext4 inode search).
S=$W/state
# cgrun's CNI networks of its own: the default network (bridge cgrun0, if
# this host has none) is written there on first use and removed on exit.
export CGRUN_CNI_CONFIG_DIR=$W/cni/net.d CGRUN_CNI_STATE_DIR=$W/cni/state
CGRUN0_BEFORE=$(ip link show cgrun0 >/dev/null 2>&1 && echo yes || true)

need=()
for p in hyperfine runc crun podman conmon jq util-linux linux-perf; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then
	log "installing ${need[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

cleanup() {
	set +e
	for id in $("$CGRUN" --root "$S/cgrun" ps -a -q 2>/dev/null); do
		"$CGRUN" --root "$S/cgrun" rm -f "$id" >/dev/null 2>&1
	done
	for id in $("$RUNC" --root "$S/runc" list -q 2>/dev/null); do
		"$RUNC" --root "$S/runc" delete -f "$id" >/dev/null 2>&1
	done
	for id in $(crun --root "$S/crun" list -q 2>/dev/null); do
		crun --root "$S/crun" delete -f "$id" >/dev/null 2>&1
	done
	if [ -n "${RUNC_LC_BIN:-}" ]; then
		for id in $("$RUNC_LC_BIN" --root "$S/runc-lc" list -q 2>/dev/null); do
			"$RUNC_LC_BIN" --root "$S/runc-lc" delete -f "$id" >/dev/null 2>&1
		done
	fi
	if [ -n "${PODMAN_OK:-}" ]; then
		podman ps -a -q --filter label=cgrun-bench=$$ | xargs -r podman rm -f -t 0 >/dev/null 2>&1
		podman rmi -f "$PODMAN_IMAGE" >/dev/null 2>&1
	fi
	for c in /sys/fs/cgroup/*/; do
		[ -d "$c$PARENT" ] && find "$c$PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	[ -z "$CGRUN0_BEFORE" ] && [ -f "$CGRUN_CNI_CONFIG_DIR/cgrun-cgrun.conflist" ] && "$CGRUN" network rm cgrun >/dev/null 2>&1
	umount "$S" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$S"
mount -t tmpfs -o size=256m,mode=0700 cgrun-bench "$S"

# One bundle per runtime on the same rootfs: cgrun's own spec (-m 100m),
# with the cgroup under the bench parent. runc 1.1 and crun 1.8 know spec 1.0.2.
bundle() { # DIR CGROUPSPATH MEM
	mkdir -p "$1"
	"$CGRUN" spec -m "$3" --rootfs "$ROOTFS" /bin/true |
		jq --arg p "$2" '.ociVersion="1.0.2" | .linux.cgroupsPath=$p' >"$1/config.json"
}
bundle "$W/b-runc" "$PARENT/runc" 100m
bundle "$W/b-crun" "$PARENT/crun" 100m

# runc built from the libcontainer release cgrun links (go.mod), through the
# Go module proxy: beside Debian's runc 1.1.5 it tells cgrun's own overhead
# apart from what the newer libcontainer costs every runtime built on it.
RUNC_LC_BIN=
if [ "${RUNC_LC:-1}" = 1 ]; then
	repo=$(cd "$(dirname "$0")/.." && pwd)
	lc_ver=$(cd "$repo" && go list -m -f '{{.Version}}' github.com/opencontainers/runc)
	if GOBIN="$W/runc-lc" GOFLAGS="-mod=mod -tags=seccomp" go install "github.com/opencontainers/runc@$lc_ver" 2>"$W/runc-lc.err"; then
		RUNC_LC_BIN=$W/runc-lc/runc
		bundle "$W/b-runc-lc" "$PARENT/runc-lc" 100m
	else
		log "runc $lc_ver not built: $(tail -1 "$W/runc-lc.err")"
	fi
fi

PODMAN_OK=
podman_why="podman not tried"
tar -C "$ROOTFS" -cf "$W/rootfs.tar" .
if podman import -q "$W/rootfs.tar" "$PODMAN_IMAGE" >/dev/null 2>"$W/podman.err"; then
	PODMAN_OK=1
	if ! podman run --rm --runtime runc $PODMAN_ULIMITS --memory 100m "$PODMAN_IMAGE" /bin/true 2>"$W/podman.err"; then
		podman_why="podman run failed: $(tail -1 "$W/podman.err")"
		PODMAN_OK=
		podman rmi -f "$PODMAN_IMAGE" >/dev/null 2>&1 || true
	fi
else
	podman_why="podman import failed: $(tail -1 "$W/podman.err")"
fi
PODMAN_CMD="podman run --rm --runtime runc $PODMAN_ULIMITS --label cgrun-bench=$$ --memory 100m $PODMAN_IMAGE /bin/true"

# Commands by name; the first one is the base of the ratios.
declare -A CMD=(
	[cgrun]="$CGRUN --root $S/cgrun run --rm --cgroup-parent $PARENT -m 100m --rootfs $ROOTFS /bin/true"
	[cgrun-none]="$CGRUN --root $S/cgrun run --rm --cgroup-parent $PARENT -m 100m --network none --rootfs $ROOTFS /bin/true"
	[cgrun-unconfined]="$CGRUN --root $S/cgrun run --rm --cgroup-parent $PARENT -m 100m --network none --security-opt seccomp=unconfined --rootfs $ROOTFS /bin/true"
	[runc]="$RUNC --root $S/runc run -b $W/b-runc bench-runc"
	[crun]="$CRUN_NS crun --root $S/crun run -b $W/b-crun bench-crun"
	[crun-wrapper]="$CRUN_NS /bin/true"
	[floor]="unshare -fpmuin chroot $ROOTFS /bin/true"
)
ORDER=(cgrun cgrun-none cgrun-unconfined runc crun crun-wrapper floor)
if [ -n "$RUNC_LC_BIN" ]; then
	CMD[runc-lc]="$RUNC_LC_BIN --root $S/runc-lc run -b $W/b-runc-lc bench-runc-lc"
	ORDER+=(runc-lc)
fi
if [ -n "${CGRUN_BEFORE:-}" ]; then
	CMD[cgrun-before]="$(readlink -f "$CGRUN_BEFORE") --root $S/cgrun run --rm --cgroup-parent $PARENT -m 100m --rootfs $ROOTFS /bin/true"
	CMD[cgrun-none-before]="$(readlink -f "$CGRUN_BEFORE") --root $S/cgrun run --rm --network none --cgroup-parent $PARENT -m 100m --rootfs $ROOTFS /bin/true"
	ORDER+=(cgrun-before cgrun-none-before)
fi
[ -n "$PODMAN_OK" ] && { CMD[podman]=$PODMAN_CMD; ORDER+=(podman); }

# interleave RESULT_PREFIX NAMES...: ROUNDS rounds, each one hyperfine call
# over all commands in a rotated order, RUNS runs each.
interleave() {
	local out=$1
	shift
	local names=("$@") n=$#
	for ((r = 0; r < ROUNDS; r++)); do
		local args=()
		for ((k = 0; k < n; k++)); do
			local name=${names[$(((k + r) % n))]}
			args+=(-n "$name" "${CMD[$name]}")
		done
		hyperfine -N -w 1 -r "$RUNS" --style none --export-json "$W/$out.$r.json" "${args[@]}" >/dev/null 2>"$W/hyperfine.err" ||
			{ cat "$W/hyperfine.err" >&2; exit 1; }
	done
}

# table PREFIX BASE: median/min/max in ms per command and ratio of medians to BASE.
table() {
	jq -rs --arg base "$2" '
		[.[].results[]] | group_by(.command) | map({name: .[0].command, t: ([.[].times[]] | sort)})
		| map(. + {n: (.t | length), med: (.t | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end)})
		| (map(select(.name == $base))[0].med) as $b
		| "| command | runs | median ms | min ms | max ms | median / cgrun |",
		  "|---|---:|---:|---:|---:|---:|",
		  (sort_by(.med)[] | "| \(.name) | \(.n) | \(.med * 1000 * 10 | round / 10) | \(.t[0] * 1000 * 10 | round / 10) | \(.t[-1] * 1000 * 10 | round / 10) | \(.med / $b * 100 | round / 100) |")
	' "$W/$1".*.json
}

log "start-to-exit: $ROUNDS rounds x $RUNS runs of ${ORDER[*]}"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
interleave start "${ORDER[@]}"
START_TABLE=$(table start cgrun)

# Where the time goes: back-to-back starts of each runner on libcontainer,
# split into phases at the process and pivot_root tracepoints (phases.sh).
PHASE_RUNS=${PHASE_RUNS:-20}
PHASES_TABLE="Not measured: perf cannot record the kernel's tracepoints here."
if perf record -q -e sched:sched_process_exec -a -o /dev/null -- true >/dev/null 2>&1; then
	log "phases: $PHASE_RUNS back-to-back starts of cgrun, runc, runc-lc under perf"
	phases=$(dirname "$0")/phases.sh
	PHASES_TABLE="| runner | runs | pre | bootstrap | stages | init | pivot>exec | command | end | sum of medians |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$("$phases" "$PHASE_RUNS" cgrun ${CMD[cgrun]})
$("$phases" "$PHASE_RUNS" cgrun-none ${CMD[cgrun-none]})
$("$phases" "$PHASE_RUNS" runc ${CMD[runc]})"
	if [ -n "$RUNC_LC_BIN" ]; then
		PHASES_TABLE+="
$("$phases" "$PHASE_RUNS" runc-lc ${CMD[runc-lc]})"
	fi
fi

# cgrun update latency on a running container, beside runc update.
log "update latency"
uid=$("$CGRUN" --root "$S/cgrun" run -d --cgroup-parent "$PARENT" -m 100m --network none --rootfs "$ROOTFS" sleep 1000)
bundle "$W/b-runc-d" "$PARENT/runc-d" 100m
jq '.process.args=["sleep","1000"]' "$W/b-runc-d/config.json" >"$W/c.json" && mv "$W/c.json" "$W/b-runc-d/config.json"
"$RUNC" --root "$S/runc" run -d -b "$W/b-runc-d" bench-runc-d </dev/null >/dev/null 2>&1
CMD[cgrun-update]="$CGRUN --root $S/cgrun update -m 200m $uid"
CMD[runc-update]="$RUNC --root $S/runc update --memory 209715200 bench-runc-d"
interleave update cgrun-update runc-update
UPDATE_TABLE=$(table update cgrun-update)
got=$(cat "/sys/fs/cgroup/memory$PARENT/$uid/memory.limit_in_bytes")
[ "$got" = 209715200 ] || { log "cgrun update did not land: memory.limit_in_bytes=$got"; exit 1; }

# Resident memory of the per-container monitor: cgrun's, beside conmon.
rss_of() { # PID -> "VmRSS RssAnon Pss" in KiB
	local rss anon pss
	rss=$(awk '/^VmRSS:/{print $2}' "/proc/$1/status")
	anon=$(awk '/^RssAnon:/{print $2}' "/proc/$1/status")
	pss=$(awk '/^Pss:/{print $2}' "/proc/$1/smaps_rollup")
	echo "$rss $anon $pss"
}
avg_rss() { # NAME PIDS...
	local name=$1
	shift
	for p in "$@"; do rss_of "$p"; done | awk -v n="$name" -v c=$# '{r+=$1; a+=$2; p+=$3} END {printf "| %s | %d | %.0f | %.0f | %.0f |\n", n, c, r/c, a/c, p/c}'
}
log "monitor memory ($MONITORS detached containers each)"
# A detached container is tended by two processes: its monitor (monitorPid)
# and the supervisor the monitor runs under (supervisor.pid); both count.
pair_rss() { # NAME MONITOR-PIDS... -- SUPERVISOR-PIDS...: the sum per container
	local name=$1 ms=() ss=() side=m
	shift
	for p in "$@"; do
		if [ "$p" = -- ]; then side=s; elif [ $side = m ]; then ms+=("$p"); else ss+=("$p"); fi
	done
	for i in "${!ms[@]}"; do echo "$(rss_of "${ms[$i]}") $(rss_of "${ss[$i]}")"; done |
		awk -v n="$name" -v c=${#ms[@]} '{r+=$1+$4; a+=$2+$5; p+=$3+$6} END {printf "| %s | %d | %.0f | %.0f | %.0f |\n", n, c, r/c, a/c, p/c}'
}
monitors() { # NAME CGRUN-BIN: its detached containers' rows
	local name=$1 bin=$2 mp=() sp=() id js
	for ((i = 0; i < MONITORS; i++)); do
		id=$("$bin" --root "$S/cgrun" run -d --cgroup-parent "$PARENT" -m 100m --network none --rootfs "$ROOTFS" sleep 1000)
		js=$("$bin" --root "$S/cgrun" inspect "$id" | jq -c 'if type == "array" then .[0] else . end')
		mp+=("$(jq -r .monitorPid <<<"$js")")
		sp+=("$(jq -r '.supervisor.pid // 0' <<<"$js")")
	done
	sleep 1
	avg_rss "$name monitor ($(cat /proc/"${mp[0]}"/comm))" "${mp[@]}"
	if [ "${sp[0]}" != 0 ]; then
		avg_rss "$name supervisor ($(cat /proc/"${sp[0]}"/comm))" "${sp[@]}"
		pair_rss "$name, both per container" "${mp[@]}" -- "${sp[@]}"
	fi
}
MEM_TABLE="| monitor | containers | VmRSS KiB | RssAnon KiB | Pss KiB |
|---|---:|---:|---:|---:|
$(monitors cgrun "$CGRUN")"
if [ -n "${CGRUN_BEFORE:-}" ]; then
	MEM_TABLE+="
$(monitors cgrun-before "$(readlink -f "$CGRUN_BEFORE")")"
fi
if [ -n "$PODMAN_OK" ]; then
	cpids=()
	for ((i = 0; i < MONITORS; i++)); do
		pid=$(podman run -d --runtime runc $PODMAN_ULIMITS --label cgrun-bench=$$ --memory 100m "$PODMAN_IMAGE" sleep 1000)
		cpids+=("$(podman inspect --format '{{.State.ConmonPid}}' "$pid")")
	done
	sleep 1
	MEM_TABLE+="
$(avg_rss "conmon (podman run -d)" "${cpids[@]}")"
fi

# CONCURRENT containers with limits started at once.
concurrent() { # NAME CMD-PREFIX (the index is appended): prints "MS FAILURES"
	local t0 t1 fails=0 pids=()
	t0=$(date +%s%N)
	for ((i = 0; i < CONCURRENT; i++)); do
		eval "$2 $i" >/dev/null 2>>"$W/$1.err" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $fails"
}
log "$CONCURRENT concurrent containers: $CONC_ROUNDS rounds, the runners' order alternating"
for ((i = 0; i < CONCURRENT; i++)); do bundle "$W/cr/$i" "$PARENT/cr-$i" 64m; done
declare -A CONC_CMD=(
	[cgrun]="$CGRUN --root $S/cgrun run --rm --cgroup-parent $PARENT -m 64m --network none --rootfs $ROOTFS /bin/true #"
	[runc]="i_() { $RUNC --root $S/runc run -b $W/cr/\$1 bench-c-\$1; }; i_"
)
declare -A CONC_MS CONC_FAILS=([cgrun]=0 [runc]=0)
for ((r = 0; r < CONC_ROUNDS; r++)); do
	order=(cgrun runc)
	if ((r % 2)); then order=(runc cgrun); fi
	for name in "${order[@]}"; do
		read -r ms f < <(concurrent "$name" "${CONC_CMD[$name]}")
		CONC_MS[$name]+="$ms "
		CONC_FAILS[$name]=$((CONC_FAILS[$name] + f))
	done
done
conc_row() { # NAME
	local sorted
	sorted=$(tr ' ' '\n' <<<"${CONC_MS[$1]}" | grep . | sort -n | tr '\n' ' ')
	echo "| $1 | $CONCURRENT | $(awk '{print $(int((NF+1)/2))}' <<<"$sorted") | ${CONC_MS[$1]% } | ${CONC_FAILS[$1]} |"
}
CONC_TABLE="| runner | containers | median total ms | each round, ms | failures |
|---|---:|---:|---|---:|
$(conc_row cgrun)
$(conc_row runc)"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<EOF
## $(date -u +%Y-%m-%d\ %H:%M) UTC

Machine: $(nproc) CPUs, kernel $(uname -r), cgroup $(if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo v2; elif mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then echo "v1 hybrid (empty cgroup2 at /sys/fs/cgroup/unified)"; else echo v1; fi).
Versions: cgrun $("$CGRUN" --version 2>/dev/null | sed -n 's/^commit: //p' | cut -c1-12) (libcontainer $("$CGRUN" --version 2>/dev/null | sed -n 's/^libcontainer: //p')), $("$RUNC" --version | head -1), $(crun --version | head -1), $(podman --version).
Load average (1, 5, 15 min): $load_before before, $load_after after.
Command: \`ROUNDS=$ROUNDS RUNS=$RUNS${CGRUN_BEFORE:+ CGRUN_BEFORE=$(basename "$CGRUN_BEFORE")} make bench\` ($ROUNDS interleaved rounds, each one hyperfine -N call over all commands in rotated order, $RUNS runs + 1 warm-up each).

### Start-to-exit of /bin/true, 100 MiB memory limit, fresh container

$START_TABLE

- cgrun: \`cgrun run --rm -m 100m --rootfs ROOTFS /bin/true\`${CGRUN_BEFORE:+ (cgrun-before and cgrun-none-before: cgrun and cgrun-none with the binary \`$(basename "$CGRUN_BEFORE")\`)}; every state root (--root) on a tmpfs; runc and crun: \`run\` on a bundle of the same rootfs with the config.json \`cgrun spec -m 100m\` prints (Docker's seccomp profile included, as in cgrun's own start).
- cgrun runs on its default network (a CNI bridge: a network namespace, the bridge, portmap and firewall plugins, their removal); cgrun-none with \`--network none\` (loopback only, as runc and crun here): the network's own cost per start is cgrun minus cgrun-none.
- cgrun-unconfined: cgrun-none with \`--security-opt seccomp=unconfined\`: the default seccomp profile's cost per start is cgrun-none minus cgrun-unconfined.
- runc-lc: $(if [ -n "$RUNC_LC_BIN" ]; then echo "\`$("$RUNC_LC_BIN" --version | head -1)\` built with \`go install\` from the libcontainer release cgrun links, on the same bundle as runc"; else echo "not built"; fi).
- crun refuses this hybrid host, so it runs inside \`unshare -m\` + a tmpfs on /sys/fs/cgroup/unified; the row crun-wrapper is that wrapper alone (crun's own time is about crun minus crun-wrapper).
- podman: $(if [ -n "$PODMAN_OK" ]; then echo "\`podman run --rm --runtime runc --memory 100m\` of the rootfs imported with \`podman import\` (podman's crun refuses hybrid cgroups; ulimits lowered because this host's hard rlimits are below podman's defaults and no CAP_SYS_RESOURCE)"; else echo "not measured: $podman_why"; fi).
- floor: \`unshare -fpmuin chroot ROOTFS /bin/true\`: namespaces and exec, no cgroup, no mounts.

### Where a start's time goes (medians in ms, $PHASE_RUNS back-to-back starts each, bench/phases.sh)

$PHASES_TABLE

- pre: the runner's exec to its container init's exec (flags, state, config); bootstrap: to nsexec's first clone
  (the runner puts the init into its cgroups; the cgroup.procs write's RCU grace period lands here); stages: to
  the Go init's first thread; init: to pivot_root (package inits, config, rootfs mounts); pivot>exec: to the
  command's exec; command: /bin/true; end: the command's exit to the runner's exit (wait, cleanup).

### Limit update on a running container (memory 100m -> 200m)

$UPDATE_TABLE

### $CONCURRENT containers with a 64 MiB limit started concurrently (foreground, --rm, /bin/true, cgrun with --network none as runc; $CONC_ROUNDS rounds, the order alternating)

$CONC_TABLE

### Resident memory per detached container's monitor (mean of $MONITORS)

$MEM_TABLE

### Volume attach (VM lane)

Not measured here: the host has no kernel iSCSI. \`make bench-vm\` measures it in the VM lane
(bench/volume-attach.sh: cgrun volume attach beside a hand-run iscsiadm login + mount of the same LUN).
EOF
