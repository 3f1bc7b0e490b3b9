package cgroup

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func throttleDev(major, minor int64, rate uint64) specs.LinuxThrottleDevice {
	d := specs.LinuxThrottleDevice{Rate: rate}
	d.Major, d.Minor = major, minor
	return d
}

func weightDev(major, minor int64, w uint16) specs.LinuxWeightDevice {
	d := specs.LinuxWeightDevice{Weight: &w}
	d.Major, d.Minor = major, minor
	return d
}

// limitsText renders limits one per line: "flag file requested | actual".
func limitsText(ls []Limit) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%s %s %s | %s\n", l.Resource, l.File, l.Requested, l.Actual)
	}
	return b.String()
}

func TestReadBackV1(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fakeFiles(t, root, map[string]string{
		"memory/c/memory.limit_in_bytes":           "104857600\n",
		"memory/c/memory.memsw.limit_in_bytes":     "9223372036854771712\n",
		"memory/c/memory.soft_limit_in_bytes":      "52428800\n",
		"memory/c/memory.swappiness":               "100\n",
		"memory/c/memory.oom_control":              "oom_kill_disable 1\nunder_oom 0\noom_kill 0\n",
		"memory/c/memory.wmark_ratio":              "60\n",
		"cpu/c/cpu.shares":                         "1600\n",
		"cpu/c/cpu.cfs_period_us":                  "50000\n",
		"cpu/c/cpu.cfs_quota_us":                   "25000\n",
		"cpuset/c/cpuset.cpus":                     "0-1\n",
		"blkio/c/blkio.bfq.weight":                 "300\n",
		"blkio/c/blkio.bfq.weight_device":          "default 300\n7:3 500\n",
		"blkio/c/blkio.throttle.read_bps_device":   "7:3 1048576\n",
		"blkio/c/blkio.throttle.write_iops_device": "7:3 400\n",
		"pids/c/pids.max":                          "max\n",
	})
	paths := Paths{}
	for _, c := range []string{"memory", "cpu", "cpuset", "blkio", "pids"} {
		paths[c] = filepath.Join(root, c, "c")
	}
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(100<<20 + 100), Swap: i64(-1), Reservation: i64(50 << 20),
			Swappiness: u64(100), DisableOOMKiller: boolp(true)},
		CPU: &specs.LinuxCPU{Shares: u64(1600), Period: u64(50000), Quota: i64(25000), Cpus: "1,0"},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(300), WeightDevice: []specs.LinuxWeightDevice{weightDev(7, 3, 500)},
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{throttleDev(7, 3, 1048576)},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{throttleDev(7, 3, 400)}},
		Pids: &specs.LinuxPids{Limit: i64(0)},
	}
	got, err := ReadBack(paths, r, map[string]string{AnnotationWmarkRatio: "60"})
	if err != nil {
		t.Fatal(err)
	}
	want := `memory.limit memory.limit_in_bytes 104857600 | 104857600
memory.swap memory.memsw.limit_in_bytes 9223372036854771712 | 9223372036854771712
memory.reservation memory.soft_limit_in_bytes 52428800 | 52428800
memory.swappiness memory.swappiness 100 | 100
memory.disableOOMKiller memory.oom_control oom_kill_disable 1 | oom_kill_disable 1
cpu.shares cpu.shares 1600 | 1600
cpu.period cpu.cfs_period_us 50000 | 50000
cpu.quota cpu.cfs_quota_us 25000 | 25000
cpu.cpus cpuset.cpus 0-1 | 0-1
blockIO.weight blkio.bfq.weight 300 | 300
blockIO.weightDevice blkio.bfq.weight_device 7:3 500 | 7:3 500
blockIO.throttleReadBpsDevice blkio.throttle.read_bps_device 7:3 1048576 | 7:3 1048576
blockIO.throttleWriteIOPSDevice blkio.throttle.write_iops_device 7:3 400 | 7:3 400
pids.limit pids.max max | max
io.cgrun.cgroup.memory.wmark_ratio memory.wmark_ratio 60 | 60
`
	if s := limitsText(got); s != want {
		t.Fatalf("got\n%s\nwant\n%s", s, want)
	}
	for _, l := range got {
		if !l.Match() {
			t.Errorf("%+v does not match", l)
		}
	}
}

func TestReadBackV1Mismatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fakeFiles(t, dir, map[string]string{"memory.limit_in_bytes": "9223372036854771712\n"})
	got, err := ReadBack(Paths{"memory": dir}, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(20 << 20)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Match() || got[0].Requested != "20971520" {
		t.Fatalf("%+v", got)
	}
}

func TestReadBackMissingFile(t *testing.T) {
	t.Parallel()
	_, err := ReadBack(Paths{"pids": t.TempDir()}, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}}, nil)
	if err == nil {
		t.Fatal("missing pids.max not reported")
	}
}

func TestReadBackV2(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"memory.max":  "104857600\n",
		"memory.low":  "52428800\n",
		"cpu.weight":  "143\n",
		"cpu.max":     "25000 50000\n",
		"cpuset.mems": "0\n",
		"io.weight":   "default 2930\n",
		"io.max":      "7:3 rbps=1048576 wbps=max riops=max wiops=400\n",
		"pids.max":    "100\n",
	}
	swapCases := []struct {
		name      string
		mem, swap int64
		want      string
	}{
		{"equal is zero", 100 << 20, 100 << 20, "0"},
		{"difference", 100 << 20, 300 << 20, "209715200"},
		{"unlimited", 100 << 20, -1, "max"},
	}
	for _, sc := range swapCases {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fakeFiles(t, dir, files)
			fakeFiles(t, dir, map[string]string{"memory.swap.max": sc.want + "\n"})
			r := &specs.LinuxResources{
				Memory: &specs.LinuxMemory{Limit: i64(sc.mem), Swap: i64(sc.swap), Reservation: i64(50 << 20)},
				CPU:    &specs.LinuxCPU{Shares: u64(1600), Period: u64(50000), Quota: i64(25000), Mems: "0"},
				BlockIO: &specs.LinuxBlockIO{Weight: u16(300),
					ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{throttleDev(7, 3, 1048576)},
					ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{throttleDev(7, 3, 400)}},
				Pids: &specs.LinuxPids{Limit: i64(100)},
			}
			got, err := ReadBack(UnifiedPaths(dir), r, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := `memory.limit memory.max 104857600 | 104857600
memory.swap memory.swap.max ` + sc.want + ` | ` + sc.want + `
memory.reservation memory.low 52428800 | 52428800
cpu.shares cpu.weight 143 | 143
cpu.quota cpu.max 25000 50000 | 25000 50000
cpu.period cpu.max 25000 50000 | 25000 50000
cpu.mems cpuset.mems 0 | 0
blockIO.weight io.weight default 2930 | default 2930
blockIO.throttleReadBpsDevice io.max 7:3 rbps=1048576 | 7:3 rbps=1048576
blockIO.throttleWriteIOPSDevice io.max 7:3 wiops=400 | 7:3 wiops=400
pids.limit pids.max 100 | 100
`
			if s := limitsText(got); s != want {
				t.Fatalf("got\n%s\nwant\n%s", s, want)
			}
		})
	}
}

func TestReadBackV2BFQAndQuotaOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fakeFiles(t, dir, map[string]string{"io.bfq.weight": "default 300\n7:3 500\n", "io.weight": "default 100\n", "cpu.max": "max 100000\n"})
	r := &specs.LinuxResources{
		CPU:     &specs.LinuxCPU{Quota: i64(-1)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(300), WeightDevice: []specs.LinuxWeightDevice{weightDev(7, 3, 500)}},
	}
	got, err := ReadBack(UnifiedPaths(dir), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `cpu.quota cpu.max max 100000 | max 100000
blockIO.weight io.bfq.weight default 300 | default 300
blockIO.weightDevice io.bfq.weight 7:3 500 | 7:3 500
`
	if s := limitsText(got); s != want {
		t.Fatalf("got\n%s\nwant\n%s", s, want)
	}
}

func TestCanonicalList(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"1": "1", "3,0-1,2": "0-3", "0,2,4-5": "0,2,4-5", "x": "x", "5-3": "5-3"} {
		if got := canonicalList(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}
