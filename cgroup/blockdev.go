package cgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// BlockDevice is one block device and its I/O scheduler. Weights
// (blockIO.weight, blockIO.weightDevice) act only where bfq is active.
type BlockDevice struct {
	Name         string   `json:"name"`
	MajMin       string   `json:"majmin"`
	Scheduler    string   `json:"scheduler"` // the active one
	Schedulers   []string `json:"schedulers"`
	BFQAvailable bool     `json:"bfq_available"`
	BFQActive    bool     `json:"bfq_active"`
}

// probeBlockDevices reads dir (/sys/block) for devices with a scheduler.
func probeBlockDevices(dir string) ([]BlockDevice, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("block devices unknown: %w", err)
	}
	var out []BlockDevice
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "queue/scheduler"))
		if err != nil {
			continue
		}
		d := BlockDevice{Name: e.Name()}
		d.Scheduler, d.Schedulers = ParseScheduler(string(b))
		d.BFQAvailable = slices.Contains(d.Schedulers, "bfq")
		d.BFQActive = d.Scheduler == "bfq"
		if mm, err := os.ReadFile(filepath.Join(dir, e.Name(), "dev")); err == nil {
			d.MajMin = strings.TrimSpace(string(mm))
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b BlockDevice) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ParseScheduler parses a queue/scheduler line ("[none] mq-deadline bfq")
// into the active scheduler and all of them.
func ParseScheduler(line string) (active string, all []string) {
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			f = strings.Trim(f, "[]")
			active = f
		}
		all = append(all, f)
	}
	if active == "" && len(all) == 1 {
		active = all[0]
	}
	return active, all
}
