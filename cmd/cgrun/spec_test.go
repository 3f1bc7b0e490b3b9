package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

// runArgv runs a fresh app on argv and returns the exit code, stdout and stderr.
func runArgv(t *testing.T, argv ...string) (int, string, string) {
	t.Helper()
	return runArgvApp(t, newApp(), argv...)
}

// runArgvApp is runArgv on a given app.
func runArgvApp(t *testing.T, app *cli.App, argv ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	app.Writer = &out
	code := runApp(app, append([]string{"cgrun"}, argv...), &errb)
	return code, out.String(), errb.String()
}

// specOf runs `cgrun spec ARGS` and decodes the printed config.json.
func specOf(t *testing.T, argv ...string) *specs.Spec {
	t.Helper()
	code, out, errs := runArgv(t, append([]string{"spec"}, argv...)...)
	require.Equal(t, 0, code, "stderr: %s", errs)
	var s specs.Spec
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.True(t, strings.HasPrefix(out, "{\n\t\""), "indented JSON")
	return &s
}

// blockDevice returns a path to a block device node with numbers 7:0: a node
// the test makes (root), else the host's /dev/loop0.
func blockDevice(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "loop0")
	if err := unix.Mknod(p, unix.S_IFBLK|0o600, int(unix.Mkdev(7, 0))); err == nil {
		return p
	}
	var st unix.Stat_t
	if unix.Stat("/dev/loop0", &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFBLK {
		t.Skip("needs root (mknod) or a /dev/loop0 block device: run as root")
	}
	return "/dev/loop0"
}

func TestSpecExactValues(t *testing.T) {
	t.Parallel()
	dev := blockDevice(t)
	s := specOf(t, "-m", "100M", "--memory-swap", "1G", "--memory-reservation", "50m",
		"--memory-swappiness", "100", "--memory-wmark-ratio", "60", "--oom-kill-disable=true",
		"--oom-score-adj", "300", "--cpu-period", "50000", "--cpu-quota", "25000", "-c", "1600",
		"--cpuset-cpus", "0", "--cpuset-mems", "0", "--blkio-weight", "300",
		"--blkio-weight-device", dev+":500", "--device-read-bps", dev+":1mb", "--device-write-bps", dev+":500k",
		"--device-read-iops", dev+":400", "--device-write-iops", dev+":401", "--pids-limit", "100",
		"--rootfs", "/r", "--cgroups-path", "/cgrun/t1", "cat", "/etc/hostname")
	m := s.Linux.Resources.Memory
	require.Equal(t, int64(104857600), *m.Limit)
	require.Equal(t, int64(1073741824), *m.Swap)
	require.Equal(t, int64(52428800), *m.Reservation)
	require.Equal(t, uint64(100), *m.Swappiness)
	require.True(t, *m.DisableOOMKiller)
	require.Equal(t, "60", s.Annotations["io.cgrun.cgroup.memory.wmark_ratio"])
	require.Equal(t, 300, *s.Process.OOMScoreAdj)
	c := s.Linux.Resources.CPU
	require.Equal(t, uint64(50000), *c.Period)
	require.Equal(t, int64(25000), *c.Quota)
	require.Equal(t, uint64(1600), *c.Shares)
	require.Equal(t, "0", c.Cpus)
	require.Equal(t, "0", c.Mems)
	b := s.Linux.Resources.BlockIO
	require.Equal(t, uint16(300), *b.Weight)
	require.Equal(t, int64(7), b.WeightDevice[0].Major)
	require.Equal(t, uint16(500), *b.WeightDevice[0].Weight)
	tr := b.ThrottleReadBpsDevice[0]
	require.Equal(t, [3]uint64{7, 0, 1048576}, [3]uint64{uint64(tr.Major), uint64(tr.Minor), tr.Rate})
	require.Equal(t, uint64(512000), b.ThrottleWriteBpsDevice[0].Rate)
	require.Equal(t, uint64(400), b.ThrottleReadIOPSDevice[0].Rate)
	require.Equal(t, uint64(401), b.ThrottleWriteIOPSDevice[0].Rate)
	require.Equal(t, int64(100), *s.Linux.Resources.Pids.Limit)
	require.Equal(t, "/r", s.Root.Path)
	require.Equal(t, "/cgrun/t1", s.Linux.CgroupsPath)
	require.Equal(t, []string{"cat", "/etc/hostname"}, s.Process.Args)
}

func TestSpecFlagForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		argv  []string
		check func(*testing.T, *specs.Spec)
	}{
		{"memory long", []string{"--memory", "100m"}, func(t *testing.T, s *specs.Spec) {
			require.Equal(t, int64(104857600), *s.Linux.Resources.Memory.Limit)
			require.Nil(t, s.Linux.Resources.Memory.Swap, "--memory alone leaves swap unset")
		}},
		{"memory equals form", []string{"--memory=4m"}, func(t *testing.T, s *specs.Spec) {
			require.Equal(t, int64(4194304), *s.Linux.Resources.Memory.Limit)
		}},
		{"swap unlimited", []string{"-m", "100m", "--memory-swap", "-1"}, func(t *testing.T, s *specs.Spec) {
			require.Equal(t, int64(-1), *s.Linux.Resources.Memory.Swap)
		}},
		{"swappiness -1 is unset", []string{"--memory-swappiness", "-1"}, func(t *testing.T, s *specs.Spec) {
			require.Nil(t, s.Linux.Resources.Memory)
		}},
		{"oom-kill-disable bare", []string{"-m", "20m", "--oom-kill-disable"}, func(t *testing.T, s *specs.Spec) {
			require.True(t, *s.Linux.Resources.Memory.DisableOOMKiller)
		}},
		{"cpus", []string{"--cpus", "1.5"}, func(t *testing.T, s *specs.Spec) {
			require.Equal(t, int64(150000), *s.Linux.Resources.CPU.Quota)
			require.Equal(t, uint64(100000), *s.Linux.Resources.CPU.Period)
		}},
		{"cpu-shares long", []string{"--cpu-shares", "512"}, func(t *testing.T, s *specs.Spec) {
			require.Equal(t, uint64(512), *s.Linux.Resources.CPU.Shares)
		}},
		{"cpu-quota unlimited", []string{"--cpu-quota", "-1"}, func(t *testing.T, s *specs.Spec) {
			require.Equal(t, int64(-1), *s.Linux.Resources.CPU.Quota)
			require.Nil(t, s.Linux.Resources.CPU.Period)
		}},
		{"blkio-weight 0 unset", []string{"--blkio-weight", "0"}, func(t *testing.T, s *specs.Spec) {
			require.Nil(t, s.Linux.Resources.BlockIO)
		}},
		{"pids unlimited", []string{"--pids-limit", "0"}, func(t *testing.T, s *specs.Spec) {
			require.Equal(t, int64(-1), *s.Linux.Resources.Pids.Limit)
		}},
		{"nothing given", nil, func(t *testing.T, s *specs.Spec) {
			r := s.Linux.Resources
			require.True(t, r.Memory == nil && r.CPU == nil && r.Pids == nil && r.BlockIO == nil)
			require.Nil(t, s.Process.OOMScoreAdj)
			require.Equal(t, []string{"sh"}, s.Process.Args)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t, specOf(t, tc.argv...))
		})
	}
}

func TestSpecInvalidExits125OneLine(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nodev")
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"-m", "100m", "--memory-swap", "50m"}, `invalid --memory-swap "50m": must be at least --memory (100m) or -1`},
		{[]string{"--memory-swap", "1g"}, `invalid --memory-swap "1g": needs --memory`},
		{[]string{"-m", "1x"}, `invalid -m "1x": must be a size like 100m (b, k, m, g) of at least 4m`},
		{[]string{"--memory", "4194303"}, `invalid --memory "4194303": must be a size like 100m (b, k, m, g) of at least 4m`},
		{[]string{"--memory", "-1"}, `invalid --memory "-1": must be a size like 100m (b, k, m, g) of at least 4m`},
		{[]string{"--memory-swap", "-2"}, `invalid --memory-swap "-2": must be a size like 100m (b, k, m, g), or -1 for unlimited`},
		{[]string{"-m", "100m", "--memory-reservation", "200m"}, `invalid --memory-reservation "200m": must be at most --memory (100m)`},
		{[]string{"--memory-swappiness", "101"}, `invalid --memory-swappiness "101": must be between 0 and 100 (-1 = unset)`},
		{[]string{"--memory-wmark-ratio", "-1"}, `invalid --memory-wmark-ratio "-1": must be between 0 and 100`},
		{[]string{"--kernel-memory", "10m"}, `invalid --kernel-memory "10m": unsupported: kernel memory limits are deprecated by the kernel and ignored by runc`},
		{[]string{"--oom-kill-disable=maybe"}, `invalid --oom-kill-disable "maybe": must be true or false`},
		{[]string{"--oom-score-adj", "1001"}, `invalid --oom-score-adj "1001": must be between -1000 and 1000`},
		{[]string{"--cpu-period", "999"}, `invalid --cpu-period "999": must be between 1000 and 1000000 (microseconds)`},
		{[]string{"--cpu-period", "1000001"}, `invalid --cpu-period "1000001": must be between 1000 and 1000000 (microseconds)`},
		{[]string{"--cpu-quota", "999"}, `invalid --cpu-quota "999": must be at least 1000 (microseconds), or -1 for unlimited`},
		{[]string{"--cpus", "1", "--cpu-quota", "2000"}, `invalid --cpus "1": cannot be combined with --cpu-period or --cpu-quota`},
		{[]string{"--cpus", "0.5", "--cpu-period", "50000"}, `invalid --cpus "0.5": cannot be combined with --cpu-period or --cpu-quota`},
		{[]string{"--cpus", "0.001"}, `invalid --cpus "0.001": must be a decimal number of CPUs of at least 0.01, with at most 9 decimals`},
		{[]string{"--cpus", "100000"}, ``}, // host-dependent line; checked below for prefix
		{[]string{"-c", "1"}, `invalid -c "1": must be between 2 and 262144`},
		{[]string{"--cpu-shares", "262145"}, `invalid --cpu-shares "262145": must be between 2 and 262144`},
		{[]string{"--cpuset-cpus", "3-1"}, `invalid --cpuset-cpus "3-1": must be a list like 0-3,5 of at most 8192 ids`},
		{[]string{"--cpuset-mems", "x"}, `invalid --cpuset-mems "x": must be a list like 0-3,5 of at most 8192 ids`},
		{[]string{"--blkio-weight", "5"}, `invalid --blkio-weight "5": must be between 10 and 1000 (0 = unset)`},
		{[]string{"--blkio-weight-device", "/dev/x"}, `invalid --blkio-weight-device "/dev/x": must be DEVICE:WEIGHT with WEIGHT between 10 and 1000`},
		{[]string{"--device-read-bps", missing + ":1mb"}, `invalid --device-read-bps "` + missing + `:1mb": DEVICE must be a block device: stat ` + missing + `: no such file or directory`},
		{[]string{"--device-write-bps", file + ":1mb"}, `invalid --device-write-bps "` + file + `:1mb": DEVICE must be a block device: ` + file + `: not a block device`},
		{[]string{"--device-read-iops", "/dev/null:1k"}, `invalid --device-read-iops "/dev/null:1k": must be DEVICE:IOPS with IOPS a non-negative integer`},
		{[]string{"--device-write-iops", "/dev/null:5"}, `invalid --device-write-iops "/dev/null:5": DEVICE must be a block device: /dev/null: not a block device`},
		{[]string{"--pids-limit", "x"}, `invalid --pids-limit "x": must be an integer (<= 0 = unlimited)`},
		{[]string{"--memory"}, `--memory needs a value`},
		{[]string{"--no-such-flag"}, `unknown flag --no-such-flag`},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errs := runArgv(t, append([]string{"spec"}, tc.argv...)...)
			require.Equal(t, 125, code)
			require.Empty(t, out, "nothing printed on stdout")
			require.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
			if tc.want == "" {
				require.True(t, strings.HasPrefix(errs, `cgrun: invalid --cpus "100000": must be at most the host's `), errs)
				return
			}
			require.Equal(t, "cgrun: "+tc.want+"\n", errs)
		})
	}
}

func TestSpecWarnsOOMKillDisableWithoutMemory(t *testing.T) {
	t.Parallel()
	code, _, errs := runArgv(t, "spec", "--oom-kill-disable")
	require.Equal(t, 0, code)
	require.Contains(t, errs, "warning: --oom-kill-disable without --memory")
}
