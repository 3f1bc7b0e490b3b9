package integration

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// The CPU rows of the resource guide (SEED-TESTS.md) on the host's cgroup v1.
// CPU use is read from the host, from each container's own cpuacct counters,
// over cpuWindow (>= 3 s). These tests never call t.Parallel: a measurement
// shares the CPUs with nothing else of the suite; cpuFirst keeps the rest of
// the machine's load from starving the measured containers.

func TestCPULimitFiles(t *testing.T) {
	c := seedEnv(t)
	cases := []struct {
		name  string
		flags []string
		file  string
		want  string
	}{
		{"cpu-period", []string{"--cpu-period", "50000"}, "cpu/cpu.cfs_period_us", "50000"},
		{"cpu-quota", []string{"--cpu-quota", "1600"}, "cpu/cpu.cfs_quota_us", "1600"},
		{"cpu-shares", []string{"--cpu-shares", "1600"}, "cpu/cpu.shares", "1600"},
		{"cpuset-cpus", []string{"--cpuset-cpus", "1"}, "cpuset/cpuset.cpus", "1"},
		{"cpuset-mems", []string{"--cpuset-mems=0"}, "cpuset/cpuset.mems", "0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := seedRun(c, tc.flags, "cat", "/sys/fs/cgroup/"+tc.file)
			if r.Code != 0 || r.Stdout != tc.want {
				t.Errorf("cgrun run %s IMG cat %s: %s; want %q", strings.Join(tc.flags, " "), tc.file, r, tc.want)
			}
		})
	}
}

// TestCPUQuotaHalfACPU: --cpu-period=50000 --cpu-quota=25000 holds stress -c 1
// to 50% of one CPU (45-55%), from the cgroup's cpuacct.usage.
func TestCPUQuotaHalfACPU(t *testing.T) {
	c := seedEnv(t)
	cpuFirst(t, c)
	ctr := seedStart(t, c, []string{"--cpu-period=50000", "--cpu-quota=25000"}, "stress", "-c", "1")
	usage := filepath.Join(ctr.cgroupDir(t, c, "cpuacct"), "cpuacct.usage")
	warmUp(t, usage)
	d, wall := cpuSample(t, usage)
	pct := 100 * d[0][0] / wall
	t.Logf("--cpu-period=50000 --cpu-quota=25000, stress -c 1: %.1f%% of one CPU (%.3fs of CPU over %.2fs)", pct, d[0][0], wall)
	if pct < 45 || pct > 55 {
		t.Errorf("--cpu-period=50000 --cpu-quota=25000, stress -c 1: %.1f%% of one CPU, want 45-55%%", pct)
	}
}

// TestCPUSharesRatio: two containers on CPU 0, shares 1024 and 512, each
// running stress -c 1, share that CPU about 2:1 (ratio 1.7-2.3).
func TestCPUSharesRatio(t *testing.T) {
	c := seedEnv(t)
	cpuFirst(t, c)
	var usage []string
	for _, shares := range []string{"1024", "512"} {
		ctr := seedStart(t, c, []string{"--cpuset-cpus=0", "--cpu-shares", shares}, "stress", "-c", "1")
		usage = append(usage, filepath.Join(ctr.cgroupDir(t, c, "cpuacct"), "cpuacct.usage"))
	}
	warmUp(t, usage[0])
	warmUp(t, usage[1])
	d, wall := cpuSample(t, usage...)
	hi, lo := d[0][0], d[1][0]
	if lo <= 0 {
		t.Fatalf("the --cpu-shares 512 container used no CPU over %.2fs (1024: %.3fs)", wall, hi)
	}
	ratio := hi / lo
	t.Logf("--cpuset-cpus=0, shares 1024 vs 512: %.3fs vs %.3fs of CPU over %.2fs (%.0f%% / %.0f%%), ratio %.2f",
		hi, lo, wall, 100*hi/(hi+lo), 100*lo/(hi+lo), ratio)
	if ratio < 1.7 || ratio > 2.3 {
		t.Errorf("--cpu-shares 1024 vs 512 on CPU 0: ratio %.2f, want 1.7-2.3", ratio)
	}
}

// TestCPUSetCPUsPinsLoad: --cpuset-cpus 1 keeps stress -c 1 on CPU 1: the
// container's per-CPU usage grows on CPU 1 only.
func TestCPUSetCPUsPinsLoad(t *testing.T) {
	c := seedEnv(t)
	cpuFirst(t, c)
	testutil.Require(t, runtime.NumCPU() >= 2, "the row needs CPUs 0 and 1", "a machine with 2 or more CPUs")
	ctr := seedStart(t, c, []string{"--cpuset-cpus", "1"}, "stress", "-c", "1")
	dir := ctr.cgroupDir(t, c, "cpuacct")
	warmUp(t, filepath.Join(dir, "cpuacct.usage"))
	d, wall := cpuSample(t, filepath.Join(dir, "cpuacct.usage_percpu"))
	per := d[0]
	total := 0.0
	for _, v := range per {
		total += v
	}
	t.Logf("--cpuset-cpus 1, stress -c 1: per-CPU use %.3fs over %.2fs (CPU 1: %.0f%% of a CPU)", per, wall, 100*per[1]/wall)
	if per[1] < 0.5*wall {
		t.Errorf("--cpuset-cpus 1: CPU 1 ran the container %.3fs of %.2fs, want it busy (>= 50%%)", per[1], wall)
	}
	if off := total - per[1]; off > 0.01*total {
		t.Errorf("--cpuset-cpus 1: %.3fs of the container's %.3fs CPU time ran on CPUs other than 1 (%v), want none", off, total, per)
	}
}
