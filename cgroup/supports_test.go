package cgroup

import (
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func boolp(v bool) *bool   { return &v }

// hostV1 is this project's host as Probe sees it.
func hostV1() *Host {
	return &Host{
		Mode:        ModeHybrid,
		Controllers: map[string]string{"memory": "m", "cpu": "c", "cpuacct": "a", "cpuset": "s", "blkio": "b", "pids": "p"},
		Files: map[string]bool{
			"memory.memsw.limit_in_bytes": true, "blkio.bfq.weight": true, "blkio.bfq.weight_device": true,
		},
		SwapAccounting: true,
	}
}

func hostV2() *Host {
	return &Host{
		Mode:        ModeV2,
		Controllers: map[string]string{"memory": "/", "cpu": "/", "cpuset": "/", "io": "/", "pids": "/"},
		Files:       map[string]bool{"memory.swap.max": true, "io.weight": true},
	}
}

func TestSupports(t *testing.T) {
	t.Parallel()
	noSwap := hostV1()
	noSwap.Files["memory.memsw.limit_in_bytes"] = false
	noPids := hostV1()
	delete(noPids.Controllers, "pids")
	tests := []struct {
		name string
		host *Host
		r    *specs.LinuxResources
		ann  map[string]string
		want string // "" = supported
	}{
		{"v1 all", hostV1(), &specs.LinuxResources{
			Memory:  &specs.LinuxMemory{Limit: i64(100 << 20), Swap: i64(200 << 20), Swappiness: u64(100), DisableOOMKiller: boolp(true)},
			CPU:     &specs.LinuxCPU{Shares: u64(512), Quota: i64(25000), Period: u64(50000), Cpus: "1"},
			BlockIO: &specs.LinuxBlockIO{Weight: u16(300)},
			Pids:    &specs.LinuxPids{Limit: i64(10)},
		}, nil, ""},
		{"v2 swappiness", hostV2(), &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(10)}}, nil,
			"memory.swappiness: cgroup v2 has no memory.swappiness (no upstream file)"},
		{"v2 oom-kill-disable", hostV2(), &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(20 << 20), DisableOOMKiller: boolp(true)}}, nil,
			"memory.disableOOMKiller: cgroup v2 has no memory.oom_control (no upstream file)"},
		{"v2 oom-kill-disable false", hostV2(), &specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: boolp(false)}}, nil, ""},
		{"v2 weight falls back to io.weight", hostV2(), &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(300)}}, nil, ""},
		{"v2 device weight needs io.bfq.weight", hostV2(), &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			WeightDevice: []specs.LinuxWeightDevice{{Weight: u16(500)}}}}, nil,
			"blockIO.weightDevice: this kernel has no io.bfq.weight"},
		{"no swap accounting", noSwap, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 30), Swap: i64(2 << 30)}}, nil,
			"memory.swap: this kernel has no memory.memsw.limit_in_bytes (swap accounting is off; boot with swapaccount=1)"},
		{"unlimited swap needs no accounting", noSwap, &specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(-1)}}, nil, ""},
		{"no weight file", &Host{Mode: ModeV1, Controllers: map[string]string{"blkio": "b"}, Files: map[string]bool{}},
			&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(10)}}, nil,
			"blockIO.weight: this kernel has none of blkio.weight, blkio.bfq.weight"},
		{"missing controller", noPids, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}}, nil,
			"pids.limit: this host has no pids cgroup controller mounted"},
		{"wmark missing", hostV1(), nil, map[string]string{AnnotationWmarkRatio: "60"},
			"io.cgrun.cgroup.memory.wmark_ratio: this kernel has no memory.wmark_ratio (Alibaba Cloud Linux kernels only)"},
		{"other annotations ignored", hostV1(), nil, map[string]string{"org.example": "1"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Supports(tc.host, tc.r, tc.ann)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ue *UnsupportedError
			if !errors.As(err, &ue) || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant  %s", err, tc.want)
			}
			fs, ok := tc.host.SupportOf(ue.Resource)
			if !ok || fs.Supported || fs.Reason != ue.Reason {
				t.Fatalf("check's wording differs: %+v", fs)
			}
		})
	}
}

func TestSupportsWmarkPresent(t *testing.T) {
	t.Parallel()
	h := hostV1()
	h.Files["memory.wmark_ratio"] = true
	if err := Supports(h, nil, map[string]string{AnnotationWmarkRatio: "60"}); err != nil {
		t.Fatal(err)
	}
}
