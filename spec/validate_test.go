package spec

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func p[T any](v T) *T { return &v }

var v1Host = &Host{CPUs: 2, EffectiveCpus: "0-1", EffectiveMems: "0", SwapLimit: true}

func TestValidate(t *testing.T) {
	t.Parallel()
	v2Host := &Host{CPUs: 2, EffectiveCpus: "0-1", EffectiveMems: "0", Cgroup2: true}
	for _, tc := range []struct {
		name string
		r    Resources
		host *Host
		want string // "" = valid; else the exact one line
	}{
		{name: "empty", r: Resources{}},
		{name: "memory boundary", r: Resources{Memory: p[int64](MinMemory)}},
		{name: "memory below", r: Resources{Memory: p[int64](MinMemory - 1)}, want: `invalid --memory "4194303": must be at least 4m`},
		{name: "swap equal memory", r: Resources{Memory: p[int64](100 << 20), MemorySwap: p[int64](100 << 20)}},
		{name: "swap unlimited", r: Resources{Memory: p[int64](100 << 20), MemorySwap: p[int64](-1)}},
		{name: "swap unlimited alone", r: Resources{MemorySwap: p[int64](-1)}},
		{name: "swap below memory", r: Resources{Memory: p[int64](100 << 20), MemorySwap: p[int64](50 << 20)},
			want: `invalid --memory-swap "50m": must be at least --memory (100m) or -1`},
		{name: "swap without memory", r: Resources{MemorySwap: p[int64](1 << 30)}, want: `invalid --memory-swap "1g": needs --memory`},
		{name: "reservation equal", r: Resources{Memory: p[int64](100 << 20), MemoryReservation: p[int64](100 << 20)}},
		{name: "reservation alone", r: Resources{MemoryReservation: p[int64](100 << 20)}},
		{name: "reservation above", r: Resources{Memory: p[int64](100 << 20), MemoryReservation: p[int64](101 << 20)},
			want: `invalid --memory-reservation "101m": must be at most --memory (100m)`},
		{name: "swappiness v1", r: Resources{MemorySwappiness: p[uint64](100)}},
		{name: "swappiness over", r: Resources{MemorySwappiness: p[uint64](101)}, want: `invalid --memory-swappiness "101": must be between 0 and 100 (-1 = unset)`},
		{name: "swappiness v2", r: Resources{MemorySwappiness: p[uint64](60)}, host: v2Host,
			want: `invalid --memory-swappiness "60": unsupported on cgroup v2 (no memory.swappiness file)`},
		{name: "oom-kill-disable v1", r: Resources{OOMKillDisable: p(true)}},
		{name: "oom-kill-disable false v2", r: Resources{OOMKillDisable: p(false)}, host: v2Host},
		{name: "oom-kill-disable v2", r: Resources{OOMKillDisable: p(true)}, host: v2Host,
			want: `invalid --oom-kill-disable "true": unsupported on cgroup v2 (no memory.oom_control); use --oom-score-adj`},
		{name: "wmark over", r: Resources{Knobs: map[string]int64{"memory.wmark_ratio": 101}}, want: `invalid --memory-wmark-ratio "101": must be between 0 and 100`},
		{name: "oom score over", r: Resources{OOMScoreAdj: p(1001)}, want: `invalid --oom-score-adj "1001": must be between -1000 and 1000`},
		{name: "cpus and period", r: Resources{NanoCPUs: p[int64](1e9), CPUPeriod: p[uint64](50000)},
			want: `invalid --cpus "1": cannot be combined with --cpu-period or --cpu-quota`},
		{name: "cpus and quota", r: Resources{NanoCPUs: p[int64](15e8), CPUQuota: p[int64](5000)},
			want: `invalid --cpus "1.5": cannot be combined with --cpu-period or --cpu-quota`},
		{name: "cpus = host", r: Resources{NanoCPUs: p[int64](2e9)}},
		{name: "cpus > host", r: Resources{NanoCPUs: p[int64](2e9 + 1)}, want: `invalid --cpus "2.000000001": must be at most the host's 2 CPUs`},
		{name: "period and quota", r: Resources{CPUPeriod: p[uint64](50000), CPUQuota: p[int64](25000)}},
		{name: "period low", r: Resources{CPUPeriod: p[uint64](999)}, want: `invalid --cpu-period "999": must be between 1000 and 1000000 (microseconds)`},
		{name: "quota low", r: Resources{CPUQuota: p[int64](999)}, want: `invalid --cpu-quota "999": must be at least 1000 (microseconds), or -1 for unlimited`},
		{name: "shares low", r: Resources{CPUShares: p[uint64](1)}, want: `invalid --cpu-shares "1": must be between 2 and 262144`},
		{name: "cpuset subset", r: Resources{CpusetCpus: "1", CpusetMems: "0"}},
		{name: "cpuset outside", r: Resources{CpusetCpus: "0-2"}, want: `invalid --cpuset-cpus "0-2": must be a subset of the host's 0-1 (2 is not)`},
		{name: "cpuset mems outside", r: Resources{CpusetMems: "1"}, want: `invalid --cpuset-mems "1": must be a subset of the host's 0 (1 is not)`},
		{name: "cpuset bad syntax", r: Resources{CpusetCpus: "x"}, want: `invalid --cpuset-cpus "x": must be a list like 0-3,5 of at most 8192 ids`},
		{name: "blkio weight low", r: Resources{BlkioWeight: p[uint16](9)}, want: `invalid --blkio-weight "9": must be between 10 and 1000 (0 = unset)`},
		{name: "weight device high", r: Resources{BlkioWeightDevice: []WeightDevice{{Name: "/dev/loop0", Weight: 1001}}},
			want: `invalid --blkio-weight-device "/dev/loop0:1001": must be DEVICE:WEIGHT with WEIGHT between 10 and 1000`},
		{name: "pids zero", r: Resources{PidsLimit: p[int64](0)}, want: `invalid --pids-limit "0": must be positive, or -1 for unlimited`},
		{name: "pids unlimited", r: Resources{PidsLimit: p[int64](-1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.host
			if h == nil {
				h = v1Host
			}
			err := Validate(&tc.r, h)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
			var fe *FlagError
			require.True(t, errors.As(err, &fe), "a *FlagError")
		})
	}
}

func TestWarnings(t *testing.T) {
	t.Parallel()
	require.Len(t, Warnings(&Resources{OOMKillDisable: p(true)}), 1)
	require.Empty(t, Warnings(&Resources{OOMKillDisable: p(true), Memory: p[int64](20 << 20)}))
	require.Empty(t, Warnings(&Resources{}))
}
