package integration

import (
	"strings"
	"testing"
)

// Effects of the v2 limits, measured inside the container: the kernel kills,
// refuses forks, throttles CPU and block IO. Durations come from the guest's
// /proc/uptime around the measured command, so container start-up is excluded.

func TestV2OOMExit137(t *testing.T) {
	v2Require(t)
	r := v2Run(t, []string{"-m", "20m"}, "sh", "-c", "x=a; while true; do x=$x$x$x$x; done")
	if r.Code != 137 {
		t.Errorf("-m 20m, a shell doubling a string forever: %s; want exit 137 (killed by the memory cgroup)", r)
	}
}

func TestV2MemoryStressKilled(t *testing.T) {
	v2Require(t)
	r := v2Run(t, []string{"-m", "100m"}, "stress", "--vm", "1", "--vm-bytes", "150M", "-t", "30")
	if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "signal 9") {
		t.Errorf("-m 100m, stress --vm-bytes 150M: %s; want stress to fail with its worker killed by signal 9", r)
	}
}

func TestV2PidsLimitForkFails(t *testing.T) {
	v2Require(t)
	r := v2Run(t, []string{"--pids-limit", "10"}, "sh", "-c",
		"cat /sys/fs/cgroup/pids.max; for i in $(seq 30); do sleep 2 & done; wait")
	out := r.Stdout + r.Stderr
	if !strings.HasPrefix(r.Stdout, "10") || !strings.Contains(out, "Resource temporarily unavailable") && !strings.Contains(out, "can't fork") {
		t.Errorf("--pids-limit 10, 30 background sleeps: %s; want pids.max 10 and a refused fork", r)
	}
}

// TestV2CPUQuotaHalfACPU: --cpu-period=50000 --cpu-quota=25000 holds a busy
// loop to 50% of one CPU (45-55%), from cpu.stat usage_usec over >= 3 s.
func TestV2CPUQuotaHalfACPU(t *testing.T) {
	v2Require(t)
	// stress starts slowly under emulation: measure from 2 s on.
	const script = `stress -c 1 -t 8 >/dev/null 2>&1 & sleep 2
read u0 rest </proc/uptime; c0=$(sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat)
sleep 3.5
read u1 rest </proc/uptime; c1=$(sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat)
wait; echo $u0 $u1 $c0 $c1`
	r := v2Run(t, []string{"--cpu-period", "50000", "--cpu-quota", "25000"}, "sh", "-c", script)
	v := v2Floats(t, r, 4)
	wall, used := v[1]-v[0], (v[3]-v[2])/1e6
	if wall < 3 {
		t.Fatalf("measured over %.2fs, want >= 3s", wall)
	}
	pct := 100 * used / wall
	t.Logf("CPU use %.1f%% of one CPU (%.2fs over %.2fs)", pct, used, wall)
	if pct < 45 || pct > 55 {
		t.Errorf("--cpu-period=50000 --cpu-quota=25000, stress -c 1: %.1f%% of one CPU, want 45-55%%", pct)
	}
}

// TestV2IOMaxThrottles: io.max on a loop device the test made, measured with
// O_DIRECT dd inside the container.
func TestV2IOMaxThrottles(t *testing.T) {
	v2Require(t)
	dev, _ := v2Loop(t)
	timed := func(dd string) string {
		return "read a rest </proc/uptime; " + dd + " 2>/dev/null || exit 9; read b rest </proc/uptime; echo $a $b"
	}
	t.Run("device-write-bps 1mb", func(t *testing.T) {
		// 3 MiB at 1 MiB/s: about 3 s.
		r := v2Run(t, []string{"--device", dev, "--device-write-bps", dev + ":1mb"}, "sh", "-c",
			timed("dd if=/dev/zero of="+dev+" bs=64k count=48 oflag=direct"))
		v := v2Floats(t, r, 2)
		rate := 3 / (v[1] - v[0])
		t.Logf("write %.2f MiB/s (3 MiB in %.2fs)", rate, v[1]-v[0])
		if rate < 0.7 || rate > 1.15 {
			t.Errorf("--device-write-bps %s:1mb: %.2f MiB/s, want about 1 (0.7-1.15)", dev, rate)
		}
	})
	t.Run("device-read-iops 100", func(t *testing.T) {
		// 300 reads at 100/s: about 3 s. busybox 1.35's dd ignores
		// iflag=direct, so readahead is switched off on the test's own device:
		// each 4 KiB read is one IO. The guide's 400/s is out of reach under
		// emulation (an IO costs ~3.6 ms of emulated CPU), 100/s is not.
		v2NoReadahead(t, dev)
		r := v2Run(t, []string{"--device", dev, "--device-read-iops", dev + ":100"}, "sh", "-c",
			timed("dd if="+dev+" of=/dev/null bs=4k count=300 skip=4096"))
		v := v2Floats(t, r, 2)
		d := v[1] - v[0]
		t.Logf("300 reads in %.2fs (%.0f IO/s)", d, 300/d)
		if d < 2.6 || d > 3.6 {
			t.Errorf("--device-read-iops %s:100: 300 reads of 4 KiB took %.2fs, want about 3s (2.6-3.6)", dev, d)
		}
	})
}
