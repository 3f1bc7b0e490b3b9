package cgroup

import (
	"fmt"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/fs"
	"github.com/opencontainers/cgroups/fs2"
	"github.com/opencontainers/cgroups/fscommon"
)

// Stats is what a container's cgroup has used.
type Stats struct {
	CPUUsageNs      uint64   `json:"cpu_usage_ns"`
	PerCPUUsageNs   []uint64 `json:"per_cpu_usage_ns,omitempty"` // v1 only
	MemoryUsage     uint64   `json:"memory_usage"`
	MemoryLimit     uint64   `json:"memory_limit"`
	MemoryMaxUsage  uint64   `json:"memory_max_usage"`
	BlkioReadBytes  uint64   `json:"blkio_read_bytes"`
	BlkioWriteBytes uint64   `json:"blkio_write_bytes"`
	PidsCurrent     uint64   `json:"pids_current"`
	PidsLimit       uint64   `json:"pids_limit"` // 0: unlimited
	OOMEvents       uint64   `json:"oom_events"` // v2: memory.events oom; v1: = OOMKills
	OOMKills        uint64   `json:"oom_kills"`
}

// ReadStats reads the usage of the container's cgroup through
// opencontainers/cgroups, the library libcontainer applies the limits
// with (fs for v1, fs2 for v2): the controllers the figures come from,
// nothing else.
func ReadStats(paths Paths) (*Stats, error) {
	const want = cgroups.CPU | cgroups.Memory | cgroups.IO | cgroups.Pids
	opts := &cgroups.StatsOptions{Controllers: want}
	if paths.Unified() {
		dir := paths[""]
		m, err := fs2.NewManager(&cgroups.Cgroup{Resources: &cgroups.Resources{}}, dir)
		if err != nil {
			return nil, fmt.Errorf("load cgroup %s: %w", dir, err)
		}
		st, err := m.Stats(opts)
		if err != nil {
			return nil, fmt.Errorf("stat cgroup %s: %w", dir, err)
		}
		s := fromLib(st)
		s.OOMKills, _ = fs2.OOMKillCount(dir)
		if n, err := fscommon.GetValueByKey(dir, "memory.events", "oom"); err == nil {
			s.OOMEvents = n
		}
		return s, nil
	}
	only := map[string]string{}
	for _, c := range []string{"memory", "cpuacct", "blkio", "pids"} {
		if d := paths[c]; d != "" {
			only[c] = d
		}
	}
	m, err := fs.NewManager(&cgroups.Cgroup{Resources: &cgroups.Resources{}}, only)
	if err != nil {
		return nil, fmt.Errorf("load cgroup %v: %w", map[string]string(paths), err)
	}
	st, err := m.Stats(opts)
	if err != nil {
		return nil, fmt.Errorf("stat cgroup: %w", err)
	}
	s := fromLib(st)
	if d := only["memory"]; d != "" {
		if n, err := fs.OOMKillCount(d); err == nil {
			s.OOMKills, s.OOMEvents = n, n
		}
	}
	return s, nil
}

func fromLib(st *cgroups.Stats) *Stats {
	s := &Stats{
		CPUUsageNs:     st.CpuStats.CpuUsage.TotalUsage,
		PerCPUUsageNs:  st.CpuStats.CpuUsage.PercpuUsage,
		MemoryUsage:    st.MemoryStats.Usage.Usage,
		MemoryLimit:    st.MemoryStats.Usage.Limit,
		MemoryMaxUsage: st.MemoryStats.Usage.MaxUsage,
		PidsCurrent:    st.PidsStats.Current,
		PidsLimit:      st.PidsStats.Limit,
	}
	for _, e := range st.BlkioStats.IoServiceBytesRecursive {
		switch e.Op {
		case "Read":
			s.BlkioReadBytes += e.Value
		case "Write":
			s.BlkioWriteBytes += e.Value
		}
	}
	return s
}
