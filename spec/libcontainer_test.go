package spec_test

import (
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs/validate"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/blkio"
	"github.com/cgrun/cgrun/spec"
)

// The spec Generate prints is what runc v1.5.2's libcontainer accepts: it
// converts with specconv and passes libcontainer's own config validation,
// and the limits land in libcontainer's cgroup resources unchanged.
func TestGenerateAcceptedByLibcontainer(t *testing.T) {
	mem, pids, quota := int64(100<<20), int64(100), int64(25000)
	period, shares := uint64(50000), uint64(512)
	o := &spec.Options{
		Host:        &spec.Host{CPUs: 2, EffectiveCpus: "0-1", EffectiveMems: "0", SwapLimit: true, Seccomp: true},
		RootfsPath:  t.TempDir(),
		CgroupsPath: "/cgrun/lc-test",
		Args:        []string{"true"},
		Resources: spec.Resources{
			Memory: &mem, PidsLimit: &pids, CPUQuota: &quota, CPUPeriod: &period, CPUShares: &shares,
			DeviceReadBps: []spec.ThrottleDevice{{Name: "/dev/loop0", Device: blkio.Device{Major: 7}, Rate: 1 << 20}},
		},
	}
	s, err := spec.Generate(o)
	require.NoError(t, err)
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{CgroupName: "lc-test", Spec: s})
	require.NoError(t, err)
	require.NoError(t, validate.Validate(cfg))
	r := cfg.Cgroups.Resources
	require.Equal(t, "/cgrun/lc-test", cfg.Cgroups.Path)
	require.Equal(t, mem, r.Memory)
	require.Zero(t, r.MemorySwap, "swap not given stays unset")
	require.Equal(t, pids, *r.PidsLimit)
	require.Equal(t, quota, r.CpuQuota)
	require.Equal(t, period, r.CpuPeriod)
	require.Equal(t, shares, r.CpuShares)
	require.Equal(t, "7:0 1048576", r.BlkioThrottleReadBpsDevice[0].String())
	require.NotNil(t, cfg.Seccomp, "Docker's default profile converts")
	require.Greater(t, len(cfg.Seccomp.Syscalls), 300)
}
