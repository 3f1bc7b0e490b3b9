package spec

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/blkio"
)

func TestGenerateDefaultsShape(t *testing.T) {
	t.Parallel()
	s, err := Generate(&Options{Host: v1Host})
	require.NoError(t, err)
	require.Equal(t, specs.Version, s.Version)
	require.Equal(t, "rootfs", s.Root.Path)
	require.Equal(t, []string{"sh"}, s.Process.Args)
	require.Equal(t, "/", s.Process.Cwd)
	require.Equal(t, DefaultCapabilities(), s.Process.Capabilities.Bounding)
	require.Len(t, s.Process.Capabilities.Bounding, 14)
	require.Nil(t, s.Process.Capabilities.Inheritable)
	require.Nil(t, s.Process.OOMScoreAdj)
	var cg *specs.Mount
	for i := range s.Mounts {
		if s.Mounts[i].Destination == "/sys/fs/cgroup" {
			cg = &s.Mounts[i]
		}
	}
	require.NotNil(t, cg, "cgroup mount")
	require.Equal(t, "cgroup", cg.Type)
	require.Contains(t, cg.Options, "ro")
	require.Contains(t, s.Linux.MaskedPaths, "/proc/kcore")
	require.Contains(t, s.Linux.ReadonlyPaths, "/proc/sys")
	require.Len(t, s.Linux.Namespaces, 5, "no cgroup namespace on v1")
	// No limit given: every limit group stays nil.
	r := s.Linux.Resources
	require.Nil(t, r.Memory)
	require.Nil(t, r.CPU)
	require.Nil(t, r.Pids)
	require.Nil(t, r.BlockIO)
	require.Nil(t, s.Annotations)
	require.Equal(t, []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, r.Devices)

	s2, err := Generate(&Options{Host: &Host{Cgroup2: true}})
	require.NoError(t, err)
	require.Equal(t, specs.CgroupNamespace, s2.Linux.Namespaces[5].Type, "cgroupns on v2")
}

func TestGenerateProcessOptions(t *testing.T) {
	t.Parallel()
	s, err := Generate(&Options{
		Host: v1Host, Args: []string{"cat", "/x"}, Env: []string{"A=b"}, Cwd: "/tmp",
		User: specs.User{UID: 1000, GID: 1000}, Hostname: "box", Terminal: true,
		RootfsPath: "/abs/rootfs", ReadonlyRootfs: true, CgroupsPath: "/cgrun/abc",
		Mounts:  []specs.Mount{{Destination: "/data", Type: "bind", Source: "/srv", Options: []string{"rbind"}}},
		Devices: []specs.LinuxDevice{{Path: "/dev/sdz", Type: "b", Major: 8, Minor: 1}},
	})
	require.NoError(t, err)
	require.Equal(t, []string{"cat", "/x"}, s.Process.Args)
	require.Contains(t, s.Process.Env, "A=b")
	require.Contains(t, s.Process.Env, "TERM=xterm")
	require.Equal(t, "/tmp", s.Process.Cwd)
	require.Equal(t, uint32(1000), s.Process.User.UID)
	require.True(t, s.Process.Terminal)
	require.Equal(t, "box", s.Hostname)
	require.Equal(t, &specs.Root{Path: "/abs/rootfs", Readonly: true}, s.Root)
	require.Equal(t, "/cgrun/abc", s.Linux.CgroupsPath)
	require.Equal(t, "/data", s.Mounts[len(s.Mounts)-1].Destination)
	require.Len(t, s.Linux.Devices, 1)
}

func TestGenerateLimitsExact(t *testing.T) {
	t.Parallel()
	loop := blkio.Device{Major: 7, Minor: 0}
	sdb := blkio.Device{Major: 8, Minor: 16}
	s, err := Generate(&Options{Host: v1Host, Resources: Resources{
		Memory:            p[int64](104857600),
		MemoryReservation: p[int64](50 << 20),
		MemorySwap:        p[int64](200 << 20),
		MemorySwappiness:  p[uint64](100),
		Knobs:             map[string]int64{"memory.wmark_ratio": 60},
		OOMKillDisable:    p(true),
		OOMScoreAdj:       p(300),
		CPUShares:         p[uint64](1600),
		CpusetCpus:        "1",
		CpusetMems:        "0",
		BlkioWeight:       p[uint16](300),
		BlkioWeightDevice: []WeightDevice{{Name: "/dev/sdb", Device: sdb, Weight: 500}, {Name: "/dev/loop0", Device: loop, Weight: 1000}},
		DeviceReadBps:     []ThrottleDevice{{Name: "/dev/loop0", Device: loop, Rate: 1048576}},
		DeviceWriteBps:    []ThrottleDevice{{Name: "/dev/sdb", Device: sdb, Rate: 1}, {Name: "/dev/loop0", Device: loop, Rate: 2}},
		DeviceReadIOps:    []ThrottleDevice{{Name: "/dev/loop0", Device: loop, Rate: 400}},
		DeviceWriteIOps:   []ThrottleDevice{{Name: "/dev/loop0", Device: loop, Rate: 401}},
		PidsLimit:         p[int64](100),
	}})
	require.NoError(t, err)
	b, err := json.Marshal(s.Linux.Resources)
	require.NoError(t, err)
	require.JSONEq(t, `{
		"devices":[{"allow":false,"access":"rwm"}],
		"memory":{"limit":104857600,"reservation":52428800,"swap":209715200,"swappiness":100,"disableOOMKiller":true},
		"cpu":{"shares":1600,"cpus":"1","mems":"0"},
		"pids":{"limit":100},
		"blockIO":{"weight":300,
			"weightDevice":[{"major":7,"minor":0,"weight":1000},{"major":8,"minor":16,"weight":500}],
			"throttleReadBpsDevice":[{"major":7,"minor":0,"rate":1048576}],
			"throttleWriteBpsDevice":[{"major":7,"minor":0,"rate":2},{"major":8,"minor":16,"rate":1}],
			"throttleReadIOPSDevice":[{"major":7,"minor":0,"rate":400}],
			"throttleWriteIOPSDevice":[{"major":7,"minor":0,"rate":401}]}
	}`, string(b))
	require.Equal(t, 300, *s.Process.OOMScoreAdj)
	require.Equal(t, map[string]string{AnnotationWmarkRatio: "60"}, s.Annotations)
}

func TestGenerateCPU(t *testing.T) {
	t.Parallel()
	s, err := Generate(&Options{Host: v1Host, Resources: Resources{NanoCPUs: p[int64](15e8)}})
	require.NoError(t, err)
	require.Equal(t, int64(150000), *s.Linux.Resources.CPU.Quota)
	require.Equal(t, uint64(100000), *s.Linux.Resources.CPU.Period)

	s, err = Generate(&Options{Host: v1Host, Resources: Resources{CPUPeriod: p[uint64](50000), CPUQuota: p[int64](25000)}})
	require.NoError(t, err)
	require.Equal(t, int64(25000), *s.Linux.Resources.CPU.Quota)
	require.Equal(t, uint64(50000), *s.Linux.Resources.CPU.Period)
	require.Nil(t, s.Linux.Resources.CPU.Shares)
}

func TestGenerateSwap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		memory, swap *int64
		want         *int64
	}{
		{"not given stays nil", p[int64](100 << 20), nil, nil},
		{"explicit", p[int64](300 << 20), p[int64](1 << 30), p[int64](1 << 30)},
		{"unlimited", p[int64](100 << 20), p[int64](-1), p[int64](-1)},
		{"equal: no swap", p[int64](100 << 20), p[int64](100 << 20), p[int64](100 << 20)},
		{"unlimited alone", nil, p[int64](-1), p[int64](-1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Generate(&Options{Host: v1Host, Resources: Resources{Memory: tc.memory, MemorySwap: tc.swap}})
			require.NoError(t, err)
			require.Equal(t, tc.want, s.Linux.Resources.Memory.Swap)
		})
	}
}

func TestGenerateNoDefaultSwap(t *testing.T) {
	t.Parallel()
	for _, h := range []*Host{{}, v1Host} {
		s, err := Generate(&Options{Host: h, Resources: Resources{Memory: p[int64](100 << 20)}})
		require.NoError(t, err)
		require.Nil(t, s.Linux.Resources.Memory.Swap, "--memory alone leaves swap unset (swap accounting %v)", h.SwapLimit)
	}
}

func TestGenerateRefusesInvalid(t *testing.T) {
	t.Parallel()
	_, err := Generate(&Options{Host: v1Host, Resources: Resources{Memory: p[int64](100 << 20), MemorySwap: p[int64](50 << 20)}})
	require.EqualError(t, err, `invalid --memory-swap "50m": must be at least --memory (100m) or -1`)
}

func TestGenerateNilOptions(t *testing.T) {
	t.Parallel()
	s, err := Generate(nil)
	require.NoError(t, err)
	require.NotNil(t, s.Process)
}

func TestValidHostname(t *testing.T) {
	for _, ok := range []string{"", "a", "web-1", "db.example.org", strings.Repeat("a", 63), strings.Repeat("a.", 32)[:63]} {
		if err := ValidHostname(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"a\nb", strings.Repeat("h", 65), "-a", "a-", "a..b", ".a", "a b", "a_b", "ä"} {
		err := ValidHostname(bad)
		var fe *FlagError
		if !errors.As(err, &fe) || fe.Flag != "hostname" {
			t.Errorf("%q: %v, want a --hostname FlagError", bad, err)
		}
	}
	if _, err := Generate(&Options{CgroupsPath: "relative/x"}); err == nil || !strings.Contains(err.Error(), "--cgroups-path") {
		t.Errorf("relative cgroups path: %v", err)
	}
}
