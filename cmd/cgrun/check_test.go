package main

import (
	"strings"
	"testing"

	"github.com/cgrun/cgrun/cgroup"
)

func TestCheckTableV2Refusals(t *testing.T) {
	t.Parallel()
	h := &cgroup.Host{
		Kernel: "6.1.0-test", Mode: cgroup.ModeV2,
		Controllers: map[string]string{"memory": "/", "cpu": "/", "io": "/", "pids": "/"},
		Files:       map[string]bool{"memory.swap.max": true, "io.weight": true},
		BlockDevices: []cgroup.BlockDevice{{Name: "sda", MajMin: "8:0", Scheduler: "bfq", BFQAvailable: true, BFQActive: true},
			{Name: "loop0", MajMin: "7:0", Scheduler: "none", BFQAvailable: true}},
		ISCSI: cgroup.ISCSI{Reason: "iscsid not running"},
	}
	var b strings.Builder
	if err := writeCheckTable(&b, checkReport{Host: h, Flags: flagSupports(h)}); err != nil {
		t.Fatal(err)
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	for _, want := range []string{
		"cgroup mode      v2",
		"iSCSI initiator  no: iscsid not running",
		"block device sda  8:0 scheduler bfq, bfq active",
		// the refusal cgroup.Supports words for a device weight on loop0
		"block device loop0  7:0 scheduler none, bfq available; --blkio-weight-device refused: device loop0 (7:0) is scheduled by none, and weights act only under bfq (echo bfq > /sys/block/loop0/queue/scheduler)",
		"--memory-swappiness         no         cgroup v2 has no memory.swappiness (no upstream file); leave it unset",
		"--oom-kill-disable          no         cgroup v2 has no memory.oom_control (no upstream file); use --oom-score-adj",
		"--cpuset-cpus               no         this host has no cpuset cgroup controller (not in cgroup.controllers)",
		"--blkio-weight              yes        io.weight (weights act only on devices whose scheduler is bfq; bfq active on sda; bfq available on loop0 (echo bfq > /sys/block/DEV/queue/scheduler))",
	} {
		if want = strings.Join(strings.Fields(want), " "); !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
