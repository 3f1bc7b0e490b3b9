package main

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/spec"
)

var testHost = &spec.Host{CPUs: 4, EffectiveCpus: "0-3", EffectiveMems: "0"}

// mergeArgs parses update flags as `cgrun update` does and merges them into
// a copy of stored; it returns the merged spec and spec.Merge's error.
func mergeArgs(t *testing.T, stored *specs.Spec, args ...string) (*specs.Spec, error) {
	t.Helper()
	var r spec.Resources
	app := &cli.App{Name: "t", Flags: updateFlags(), Action: func(c *cli.Context) error {
		return resourceOptions(c, &r)
	}}
	require.NoError(t, app.Run(append([]string{"t"}, args...)))
	b, err := json.Marshal(stored)
	require.NoError(t, err)
	var cp specs.Spec
	require.NoError(t, json.Unmarshal(b, &cp))
	return &cp, spec.Merge(&cp, &r, testHost)
}

func i64(n int64) *int64 { return &n }

func TestMergeOnlyGivenFlags(t *testing.T) {
	stored := specOf(t, "-m", "64m", "--memory-swap", "128m", "--cpu-shares", "512", "--pids-limit", "10")
	s, err := mergeArgs(t, stored, "--cpu-quota", "20000")
	require.NoError(t, err)
	r := s.Linux.Resources
	require.Equal(t, int64(64<<20), *r.Memory.Limit, "memory not given: kept")
	require.Equal(t, int64(128<<20), *r.Memory.Swap)
	require.Equal(t, uint64(512), *r.CPU.Shares)
	require.Equal(t, int64(20000), *r.CPU.Quota)
	require.Nil(t, r.CPU.Period, "period not given stays unset")
	require.Equal(t, int64(10), *r.Pids.Limit)
	require.Equal(t, int64(64<<20), *stored.Linux.Resources.Memory.Limit, "stored spec untouched")
}

func TestMergeResetToUnlimited(t *testing.T) {
	stored := specOf(t, "-m", "64m", "--memory-swap", "128m", "--cpu-quota", "50000", "--pids-limit", "10")
	s, err := mergeArgs(t, stored, "-m", "-1", "--cpu-quota", "-1", "--pids-limit", "0")
	require.NoError(t, err)
	r := s.Linux.Resources
	require.Equal(t, i64(-1), r.Memory.Limit)
	require.Equal(t, i64(-1), r.Memory.Swap, "--memory -1 alone resets swap too")
	require.Equal(t, i64(-1), r.CPU.Quota)
	require.Equal(t, i64(-1), r.Pids.Limit)

	s, err = mergeArgs(t, stored, "--memory-swap", "-1", "--pids-limit", "-1")
	require.NoError(t, err)
	require.Equal(t, i64(-1), s.Linux.Resources.Memory.Swap)
	require.Equal(t, int64(64<<20), *s.Linux.Resources.Memory.Limit)
}

func TestMergeMemoryAboveSwap(t *testing.T) {
	stored := specOf(t, "-m", "64m", "--memory-swap", "96m")
	_, err := mergeArgs(t, stored, "-m", "128m")
	require.EqualError(t, err, `invalid --memory "128m": must be at most the container's --memory-swap (96m); give --memory-swap too (or -1)`)
	s, err := mergeArgs(t, stored, "-m", "128m", "--memory-swap", "256m")
	require.NoError(t, err)
	require.Equal(t, int64(256<<20), *s.Linux.Resources.Memory.Swap)
	_, err = mergeArgs(t, stored, "--memory-swap", "32m")
	require.EqualError(t, err, `invalid --memory-swap "32m": must be at least --memory (64m) or -1`)
	_, err = mergeArgs(t, specOf(t), "--memory-swap", "32m")
	require.EqualError(t, err, `invalid --memory-swap "32m": needs --memory`)
	_, err = mergeArgs(t, stored, "--memory-reservation", "80m")
	require.EqualError(t, err, `invalid --memory-reservation "80m": must be at most --memory (64m)`)
	// Raising memory of a container without swap limit needs no swap.
	s, err = mergeArgs(t, specOf(t, "-m", "64m"), "-m", "1g")
	require.NoError(t, err)
	require.Nil(t, s.Linux.Resources.Memory.Swap)
}

func TestMergeCPUsExclusiveWithStored(t *testing.T) {
	withCPUs := specOf(t, "--cpus", "1.5")
	require.Equal(t, "1.5", withCPUs.Annotations[spec.AnnotationCPUs])
	_, err := mergeArgs(t, withCPUs, "--cpu-quota", "20000")
	require.EqualError(t, err, `invalid --cpu-quota "20000": cannot be combined with the container's --cpus (1.5); change --cpus, or clear it with --cpu-quota -1`)
	_, err = mergeArgs(t, withCPUs, "--cpu-period", "50000")
	require.ErrorContains(t, err, `invalid --cpu-period "50000"`)
	s, err := mergeArgs(t, withCPUs, "--cpus", "0.5")
	require.NoError(t, err)
	require.Equal(t, int64(50000), *s.Linux.Resources.CPU.Quota)
	require.Equal(t, "0.5", s.Annotations[spec.AnnotationCPUs])
	s, err = mergeArgs(t, withCPUs, "--cpu-quota", "-1")
	require.NoError(t, err)
	require.NotContains(t, s.Annotations, spec.AnnotationCPUs, "reset clears --cpus")

	withQuota := specOf(t, "--cpu-quota", "30000")
	_, err = mergeArgs(t, withQuota, "--cpus", "1")
	require.ErrorContains(t, err, `invalid --cpus "1": cannot be combined with the container's --cpu-period/--cpu-quota`)
	_, err = mergeArgs(t, withQuota, "--cpus", "1", "--cpu-quota", "1000")
	require.ErrorContains(t, err, "cannot be combined with --cpu-period or --cpu-quota")
}

func TestMergeDevicesByNumber(t *testing.T) {
	dev := blockDevice(t)
	stored := specOf(t, "--device-read-bps", dev+":1mb")
	s, err := mergeArgs(t, stored, "--device-read-bps", dev+":2mb", "--device-write-iops", dev+":100")
	require.NoError(t, err)
	b := s.Linux.Resources.BlockIO
	require.Len(t, b.ThrottleReadBpsDevice, 1, "same device replaced")
	require.Equal(t, uint64(2<<20), b.ThrottleReadBpsDevice[0].Rate)
	require.Equal(t, uint64(100), b.ThrottleWriteIOPSDevice[0].Rate)
}

func TestMergeRefusesHostInvalid(t *testing.T) {
	_, err := mergeArgs(t, specOf(t), "--cpuset-cpus", "7")
	require.ErrorContains(t, err, `invalid --cpuset-cpus "7": must be a subset of the host's 0-3`)
	_, err = mergeArgs(t, specOf(t), "--cpus", "9")
	require.ErrorContains(t, err, "at most the host's 4 CPUs")
}

func TestUpdateRefusesArgs(t *testing.T) {
	code, _, errs := runArgv(t, "--root", t.TempDir(), "update", "x")
	require.Equal(t, 125, code)
	require.Contains(t, errs, "needs at least one limit flag")
	code, _, errs = runArgv(t, "--root", t.TempDir(), "update", "--oom-score-adj", "10", "x")
	require.Equal(t, 125, code)
	require.Equal(t, "cgrun: invalid --oom-score-adj \"10\": cannot be changed on a running container (it is the process's, not the cgroup's)\n", errs)
	code, _, errs = runArgv(t, "--root", t.TempDir(), "update", "-m", "2m", "x")
	require.Equal(t, 125, code)
	require.Contains(t, errs, `invalid -m "2m": must be a size like 100m (b, k, m, g) of at least 4m, or -1 for unlimited`)
}

// update's help lists only what update takes.
func TestUpdateHelpListsOnlyUpdatable(t *testing.T) {
	code, out, errs := runArgv(t, "update", "--help")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "--memory-swap")
	for _, hidden := range []string{"--oom-kill-disable", "--oom-score-adj", "--kernel-memory"} {
		require.NotContains(t, out, hidden)
	}
}
