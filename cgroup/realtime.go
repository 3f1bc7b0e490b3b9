package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// PrepareRealtime gives a container's parent cgroup the real-time budget
// its container asks for (cgroup v1 with CONFIG_RT_GROUP_SCHED): the
// kernel refuses a cgroup cpu.rt_runtime_us above what its parent has left,
// and a new cgroup has none. The parent (cpuDir/parent, made if missing)
// gets the sum of its children's runtimes plus r's, at least; its own
// parent is not touched: a budget it lacks fails here, naming it. Nothing
// is done when r asks for no real-time runtime.
func PrepareRealtime(cpuDir, parent string, r *specs.LinuxResources) error {
	if r == nil || r.CPU == nil || r.CPU.RealtimeRuntime == nil || *r.CPU.RealtimeRuntime <= 0 {
		return nil
	}
	dir := filepath.Join(cpuDir, parent)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("real-time budget: %w", err)
	}
	// The kernel compares bandwidths (runtime over period): the parent
	// needs its children's, in its own period.
	parentPeriod, err := readInt(filepath.Join(dir, "cpu.rt_period_us"))
	if err != nil || parentPeriod <= 0 {
		parentPeriod = defaultRtPeriod
	}
	share := func(runtime, period int64) int64 {
		if period <= 0 {
			period = defaultRtPeriod
		}
		return (runtime*parentPeriod + period - 1) / period
	}
	period := int64(defaultRtPeriod)
	if r.CPU.RealtimePeriod != nil {
		period = int64(*r.CPU.RealtimePeriod)
	}
	want := share(*r.CPU.RealtimeRuntime, period)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("real-time budget: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() {
			n, err := readInt(filepath.Join(dir, e.Name(), "cpu.rt_runtime_us"))
			p, perr := readInt(filepath.Join(dir, e.Name(), "cpu.rt_period_us"))
			if err == nil && perr == nil && n > 0 {
				want += share(n, p)
			}
		}
	}
	file := filepath.Join(dir, "cpu.rt_runtime_us")
	have, err := readInt(file)
	if errors.Is(err, fs.ErrNotExist) {
		return &UnsupportedError{Resource: CPURealtimeRuntime, Reason: noFileReason("cpu.rt_runtime_us"), Err: ErrNoFile}
	}
	if err != nil || have >= want {
		return err
	}
	if err := os.WriteFile(file, []byte(strconv.FormatInt(want, 10)), 0); err != nil {
		up, _ := readInt(filepath.Join(filepath.Dir(dir), "cpu.rt_runtime_us"))
		return &WriteError{Resource: CPURealtimeRuntime, Path: file, Value: strconv.FormatInt(want, 10),
			Err: fmt.Errorf("%w (the parent cgroup %s has %d us of real-time runtime)", err, filepath.Dir(dir), up)}
	}
	return nil
}

// defaultRtPeriod is a new cgroup's cpu.rt_period_us.
const defaultRtPeriod = 1000000

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
