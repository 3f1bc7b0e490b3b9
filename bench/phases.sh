#!/usr/bin/env bash
# Where a container start's time goes: N back-to-back starts of a runner on
# libcontainer (cgrun, runc) under `perf record` of the kernel's process and
# pivot_root tracepoints, split at the moments every such start shares, and
# printed as one markdown row of per-phase medians (ms):
#
#   bench/phases.sh N NAME CMD...
#
#   pre         runner exec -> its container init's exec (flags, state, config)
#   bootstrap   init exec -> nsexec's first clone (the runner puts the init
#               into its cgroups: the cgroup.procs grace period lands here)
#   stages      -> the Go init's first thread (nsexec's stages, Go runtime)
#   init        -> pivot_root (package inits, config, rootfs mounts)
#   pivot>exec  -> the command's exec (masks, limits, sync, exec fifo)
#   command     the command itself (/bin/true)
#   end         command exit -> runner exit (wait, cleanup, state removal)
set -euo pipefail
N=${1:?usage: phases.sh N NAME CMD...}
NAME=${2:?usage: phases.sh N NAME CMD...}
shift 2
data=$(mktemp /tmp/cgrun-phases.XXXXXX)
trap 'rm -f "$data"' EXIT
ev=()
for e in sched:sched_process_exec sched:sched_process_exit sched:sched_process_fork syscalls:sys_enter_pivot_root; do
	ev+=(-e "$e")
done
perf record -q -k CLOCK_MONOTONIC "${ev[@]}" -a -o "$data" -- \
	bash -c 'for ((i = 0; i < '"$N"'; i++)); do "$@" >/dev/null 2>&1; done' _ "$@" >/dev/null 2>&1
# A start begins with the exec of a process the loop's shell forked (the
# first exec in the trace is that shell's own) and ends with that process's
# exit; the other moments are the first of their kind in between.
perf script -i "$data" -F comm,pid,time,event,trace 2>/dev/null |
	awk '{t = $3; sub(":", "", t); print t, $0}' | sort -n -s -k1,1 |
	awk '
	function flush() {
		if (s != "" && en != "")
			printf "%.2f %.2f %.2f %.2f %.2f %.2f %.2f\n", (ie-s)*1e3, (nf-ie)*1e3, (ig-nf)*1e3, (pr-ig)*1e3, (te-pr)*1e3, (tx-te)*1e3, (en-tx)*1e3
		s = ie = nf = ig = pr = te = tx = en = ""
	}
	$5 == "sched:sched_process_exec:" && loop == "" { loop = $3; next }
	$5 == "sched:sched_process_fork:" && $3 == loop {
		for (i = 6; i <= NF; i++) if ($i ~ /^child_pid=/) { c = $i; sub("child_pid=", "", c); child[c] = 1 }
		next
	}
	$5 == "sched:sched_process_exec:" && ($3 in child) { flush(); s = $1; runner = $3; next }
	s == "" { next }
	$5 == "sched:sched_process_exec:" && ie == "" && $2 != "true" { ie = $1 }
	$5 == "sched:sched_process_fork:" && $2 ~ /PARENT/ && nf == "" { nf = $1 }
	$5 == "sched:sched_process_fork:" && $2 ~ /INIT/ && ig == "" { ig = $1 }
	$5 == "syscalls:sys_enter_pivot_root:" && pr == "" { pr = $1 }
	$5 == "sched:sched_process_exec:" && $2 == "true" { te = $1 }
	$5 == "sched:sched_process_exit:" && $2 == "true" { tx = $1 }
	$5 == "sched:sched_process_exit:" && $3 == runner { en = $1 }
	END { flush() }' >"$data.rows"
trap 'rm -f "$data" "$data.rows"' EXIT
runs=$(wc -l <"$data.rows")
row="| $NAME | $runs |"
sum=0
for col in 1 2 3 4 5 6 7; do
	med=$(cut -d' ' -f"$col" "$data.rows" | sort -n | awk '{v[NR] = $1} END {if (NR == 0) print "0"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2] + v[NR/2+1]) / 2}')
	row+=" $(printf '%.1f' "$med") |"
	sum=$(awk -v a="$sum" -v b="$med" 'BEGIN {print a + b}')
done
echo "$row $(printf '%.1f' "$sum") |"
