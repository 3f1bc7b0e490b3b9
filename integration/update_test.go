package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Live updates (cgrun update) on a running container, read back from the
// container's cgroup files. Lane-agnostic: the host lane runs them on v1,
// the VM lane (make test-vm) on v2.

// liveContainer is a detached container of the test image.
type liveContainer struct {
	c     *testutil.Cgrun
	name  string
	paths map[string]string
}

func runLive(t *testing.T, c *testutil.Cgrun, name string, flags []string, cmd ...string) *liveContainer {
	t.Helper()
	r := c.Run(append([]string{"-d", "--name", name}, flags...), cmd...)
	require.Equal(t, 0, r.Code, "run: %s", r)
	var info []struct {
		CgroupPaths map[string]string `json:"cgroupPaths"`
	}
	ir := c.Cmd("inspect", name)
	require.Equal(t, 0, ir.Code, ir.String())
	require.NoError(t, json.Unmarshal([]byte(ir.Stdout), &info))
	require.NotEmpty(t, info[0].CgroupPaths)
	return &liveContainer{c: c, name: name, paths: info[0].CgroupPaths}
}

// file reads a cgroup file of the container: controller ctl on v1, the
// unified directory on v2.
func (l *liveContainer) file(t *testing.T, ctl, file string) string {
	t.Helper()
	dir := l.paths[ctl]
	if testutil.CgroupMode() == testutil.V2 {
		dir = l.paths[""]
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

func (l *liveContainer) has(ctl, file string) bool {
	dir := l.paths[ctl]
	if testutil.CgroupMode() == testutil.V2 {
		dir = l.paths[""]
	}
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

func (l *liveContainer) update(t *testing.T, args ...string) testutil.Result {
	t.Helper()
	return l.c.Cmd(append(append([]string{"update"}, args...), l.name)...)
}

// lane picks the v1 or the v2 form of an expectation.
func lane(v1, v2 string) string {
	if testutil.CgroupMode() == testutil.V2 {
		return v2
	}
	return v1
}

const v1Unlimited = "9223372036854771712"

func TestUpdateEachLimit(t *testing.T) {
	c := testutil.NewCgrun(t)
	loop := "/dev/loop0"
	_, lerr := os.Stat(loop)
	cases := []struct {
		name     string
		run      []string
		update   []string
		ctl      string
		file     string // v1 file / v2 file
		want     string // exact content, or a line it holds when contains
		contains bool
		skip     string
	}{
		{name: "memory", run: []string{"-m", "64m"}, update: []string{"-m", "128m"}, ctl: "memory",
			file: lane("memory.limit_in_bytes", "memory.max"), want: "134217728"},
		{name: "memory reset", run: []string{"-m", "64m"}, update: []string{"-m", "-1"}, ctl: "memory",
			file: lane("memory.limit_in_bytes", "memory.max"), want: lane(v1Unlimited, "max")},
		{name: "memory-swap", run: []string{"-m", "64m", "--memory-swap", "128m"}, update: []string{"--memory-swap", "256m"}, ctl: "memory",
			file: lane("memory.memsw.limit_in_bytes", "memory.swap.max"), want: lane("268435456", "201326592")},
		{name: "memory-swap reset", run: []string{"-m", "64m", "--memory-swap", "128m"}, update: []string{"--memory-swap", "-1"}, ctl: "memory",
			file: lane("memory.memsw.limit_in_bytes", "memory.swap.max"), want: lane(v1Unlimited, "max")},
		{name: "memory-reservation", run: []string{"-m", "64m"}, update: []string{"--memory-reservation", "32m"}, ctl: "memory",
			file: lane("memory.soft_limit_in_bytes", "memory.low"), want: "33554432"},
		{name: "cpu-period", run: []string{"--cpu-quota", "20000"}, update: []string{"--cpu-period", "50000"}, ctl: "cpu",
			file: lane("cpu.cfs_period_us", "cpu.max"), want: lane("50000", "20000 50000")},
		{name: "cpu-quota", update: []string{"--cpu-quota", "30000"}, ctl: "cpu",
			file: lane("cpu.cfs_quota_us", "cpu.max"), want: lane("30000", "30000 100000")},
		{name: "cpu-quota reset", run: []string{"--cpu-quota", "30000"}, update: []string{"--cpu-quota", "-1"}, ctl: "cpu",
			file: lane("cpu.cfs_quota_us", "cpu.max"), want: lane("-1", "max 100000")},
		{name: "cpus", run: []string{"--cpus", "1"}, update: []string{"--cpus", "0.5"}, ctl: "cpu",
			file: lane("cpu.cfs_quota_us", "cpu.max"), want: lane("50000", "50000 100000")},
		{name: "cpu-shares", update: []string{"--cpu-shares", "512"}, ctl: "cpu",
			file: lane("cpu.shares", "cpu.weight"), want: lane("512", "59")},
		{name: "cpuset-cpus", update: []string{"--cpuset-cpus", "1"}, ctl: "cpuset", file: "cpuset.cpus", want: "1",
			skip: map[bool]string{true: "needs 2 CPUs"}[runtime.NumCPU() < 2]},
		{name: "cpuset-mems", update: []string{"--cpuset-mems", "0"}, ctl: "cpuset", file: "cpuset.mems", want: "0"},
		{name: "device-read-bps", update: []string{"--device-read-bps", loop + ":1mb"}, ctl: "blkio",
			file: lane("blkio.throttle.read_bps_device", "io.max"), want: lane("7:0 1048576", "7:0 rbps=1048576"), contains: true,
			skip: map[bool]string{true: "no " + loop}[lerr != nil]},
		{name: "device-write-iops", update: []string{"--device-write-iops", loop + ":100"}, ctl: "blkio",
			file: lane("blkio.throttle.write_iops_device", "io.max"), want: lane("7:0 100", "wiops=100"), contains: true,
			skip: map[bool]string{true: "no " + loop}[lerr != nil]},
		{name: "pids-limit", run: []string{"--pids-limit", "10"}, update: []string{"--pids-limit", "50"}, ctl: "pids", file: "pids.max", want: "50"},
		{name: "pids-limit reset", run: []string{"--pids-limit", "10"}, update: []string{"--pids-limit", "-1"}, ctl: "pids", file: "pids.max", want: "max"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			t.Parallel() // file values only: each case has its own container
			l := runLive(t, c, "u"+string(rune('a'+i)), tc.run, "sleep", "1000")
			t.Cleanup(func() { c.Cmd("rm", "-f", l.name) })
			if !l.has(tc.ctl, tc.file) {
				testutil.Require(t, testutil.CgroupMode() == testutil.V2 && tc.file == "memory.swap.max",
					"cgroup file "+tc.file+" missing", "boot with swap accounting")
			}
			r := l.update(t, tc.update...)
			require.Equal(t, 0, r.Code, r.String())
			require.Equal(t, l.name, r.Stdout)
			got := l.file(t, tc.ctl, tc.file)
			if tc.contains {
				require.Contains(t, got, tc.want)
			} else {
				require.Equal(t, tc.want, got)
			}
			// inspect shows the new request beside the kernel's value.
			ir := c.Cmd("inspect", l.name)
			require.Equal(t, 0, ir.Code)
			var info []struct {
				Limits []struct{ Flag, File, Requested, Actual string } `json:"limits"`
			}
			require.NoError(t, json.Unmarshal([]byte(ir.Stdout), &info))
			for _, lim := range info[0].Limits {
				require.Equal(t, lim.Requested, lim.Actual, "inspect read-back of %s (%s)", lim.Flag, lim.File)
			}
		})
	}
}

// Raising --memory above an explicit --memory-swap fails clearly and
// changes nothing; with a new --memory-swap both are raised in the order
// the kernel accepts (memsw first on v1: libcontainer's setMemoryAndSwap).
func TestUpdateMemoryAboveSwap(t *testing.T) {
	c := testutil.NewCgrun(t)
	l := runLive(t, c, "memsw", []string{"-m", "64m", "--memory-swap", "96m"}, "sleep", "1000")
	swapFile := lane("memory.memsw.limit_in_bytes", "memory.swap.max")
	testutil.Require(t, l.has("memory", swapFile), "no "+swapFile, "boot with swap accounting")
	memFile := lane("memory.limit_in_bytes", "memory.max")

	r := l.update(t, "-m", "128m")
	require.Equal(t, 125, r.Code, r.String())
	require.Equal(t, `cgrun: invalid --memory "128m": must be at most the container's --memory-swap (96m); give --memory-swap too (or -1)`, r.Stderr)
	require.Equal(t, "67108864", l.file(t, "memory", memFile))

	r = l.update(t, "-m", "128m", "--memory-swap", "256m")
	require.Equal(t, 0, r.Code, r.String())
	require.Equal(t, "134217728", l.file(t, "memory", memFile))
	require.Equal(t, lane("268435456", "134217728"), l.file(t, "memory", swapFile))
}

// A failed update changes nothing, also the limits that were written before
// the kernel refused one; the next valid update works (pouch#1512).
func TestUpdateFailureRollsBackAll(t *testing.T) {
	c := testutil.NewCgrun(t)
	l := runLive(t, c, "rb", []string{"-m", "256m", "--pids-limit", "20", "--cpu-shares", "700"},
		"stress", "--vm", "1", "--vm-bytes", "32M", "--vm-hang", "0")
	memFile := lane("memory.limit_in_bytes", "memory.max")
	shares := lane("cpu.shares", "cpu.weight")
	snapshot := func() map[string]string {
		return map[string]string{
			memFile:       l.file(t, "memory", memFile),
			"pids.max":    l.file(t, "pids", "pids.max"),
			shares:        l.file(t, "cpu", shares),
			"cpuset.cpus": l.file(t, "cpuset", "cpuset.cpus"),
		}
	}
	// Wait until stress holds its 32 MiB.
	usage := lane("memory.usage_in_bytes", "memory.current")
	require.Eventually(t, func() bool { return atoi(t, l.file(t, "memory", usage)) >= 32<<20 }, 20e9, 1e8)
	before := snapshot()

	// The kernel (v1) or libcontainer's usage check (v2) refuses 8m; cpuset
	// (v1) and pids (v2) were written before memory and must be restored.
	args := []string{"--pids-limit", "50", "--cpu-shares", "300", "-m", "8m"}
	if runtime.NumCPU() >= 2 {
		args = append(args, "--cpuset-cpus", "1")
	}
	r := l.update(t, args...)
	require.Equal(t, 125, r.Code, r.String())
	require.Contains(t, r.Stderr, "old limits kept")
	require.Equal(t, before, snapshot())

	// Rejected before any write: below --memory, a bad value.
	for _, bad := range [][]string{{"--memory-swap", "16m"}, {"--cpu-shares", "1"}, {"--cpuset-cpus", "99"}} {
		r = l.update(t, bad...)
		require.Equal(t, 125, r.Code, r.String())
		require.Equal(t, 1, strings.Count(r.Stderr, "\n")+1, "one line: %q", r.Stderr)
		require.Equal(t, before, snapshot())
	}

	r = l.update(t, "-m", "100m", "--pids-limit", "50")
	require.Equal(t, 0, r.Code, r.String())
	require.Equal(t, "104857600", l.file(t, "memory", memFile))
	require.Equal(t, "50", l.file(t, "pids", "pids.max"))
	require.Equal(t, before[shares], l.file(t, "cpu", shares), "a limit not given keeps its value")
}
