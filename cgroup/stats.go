package cgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup1"
	v1stats "github.com/containerd/cgroups/v3/cgroup1/stats"
	"github.com/containerd/cgroups/v3/cgroup2"
	v2stats "github.com/containerd/cgroups/v3/cgroup2/stats"
)

// Stats is what a container's cgroup has used, from containerd/cgroups.
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
// containerd/cgroups (cgroup1 or cgroup2).
func ReadStats(paths Paths) (*Stats, error) {
	if paths.Unified() {
		return statsV2(paths[""])
	}
	return statsV1(paths)
}

func statsV2(dir string) (*Stats, error) {
	// Load joins mountpoint and group, and refuses a group under
	// /sys/fs/cgroup: the parent directory is the mountpoint, the last
	// element the group (Stat reads only the group's own files).
	dir = filepath.Clean(dir)
	m, err := cgroup2.Load("/"+filepath.Base(dir), cgroup2.WithMountpoint(filepath.Dir(dir)))
	if err != nil {
		return nil, fmt.Errorf("load cgroup %s: %w", dir, err)
	}
	met, err := m.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat cgroup %s: %w", dir, err)
	}
	return fromV2(met), nil
}

func fromV2(met *v2stats.Metrics) *Stats {
	s := &Stats{}
	if c := met.CPU; c != nil {
		s.CPUUsageNs = c.UsageUsec * 1000
	}
	if m := met.Memory; m != nil {
		s.MemoryUsage, s.MemoryLimit, s.MemoryMaxUsage = m.Usage, m.UsageLimit, m.MaxUsage
	}
	if io := met.Io; io != nil {
		for _, e := range io.Usage {
			s.BlkioReadBytes += e.Rbytes
			s.BlkioWriteBytes += e.Wbytes
		}
	}
	if p := met.Pids; p != nil {
		s.PidsCurrent, s.PidsLimit = p.Current, p.Limit
	}
	if e := met.MemoryEvents; e != nil {
		s.OOMEvents, s.OOMKills = e.Oom, e.OomKill
	}
	return s
}

// statsV1 loads the v1 controllers of paths. Each controller may live in
// its own hierarchy (cpu and cpuacct apart, or co-mounted): every
// subsystem is rooted at "/" and its path climbs back to the absolute
// directory libcontainer reported, so no mount table is consulted.
func statsV1(paths Paths) (*Stats, error) {
	var subs []cgroup1.Subsystem
	if d := paths["memory"]; d != "" {
		if _, err := os.Stat(filepath.Join(d, "memory.memsw.usage_in_bytes")); err != nil {
			subs = append(subs, cgroup1.NewMemory("/", cgroup1.IgnoreModules("memsw")))
		} else {
			subs = append(subs, cgroup1.NewMemory("/"))
		}
	}
	if paths["cpuacct"] != "" {
		subs = append(subs, cgroup1.NewCpuacct("/"))
	}
	if paths["blkio"] != "" {
		subs = append(subs, cgroup1.NewBlkio("/"))
	}
	if paths["pids"] != "" {
		subs = append(subs, cgroup1.NewPids("/"))
	}
	path := func(n cgroup1.Name) (string, error) {
		d := paths[string(n)]
		if d == "" {
			return "", cgroup1.ErrControllerNotActive
		}
		return "../" + strings.TrimPrefix(filepath.Clean(d), "/"), nil
	}
	cg, err := cgroup1.Load(path, cgroup1.WithHierarchy(func() ([]cgroup1.Subsystem, error) { return subs, nil }))
	if err != nil {
		return nil, fmt.Errorf("load cgroup %v: %w", map[string]string(paths), err)
	}
	met, err := cg.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		return nil, fmt.Errorf("stat cgroup: %w", err)
	}
	return fromV1(met), nil
}

func fromV1(met *v1stats.Metrics) *Stats {
	s := &Stats{}
	if c := met.CPU; c != nil && c.Usage != nil {
		s.CPUUsageNs, s.PerCPUUsageNs = c.Usage.Total, c.Usage.PerCPU
	}
	if m := met.Memory; m != nil && m.Usage != nil {
		s.MemoryUsage, s.MemoryLimit, s.MemoryMaxUsage = m.Usage.Usage, m.Usage.Limit, m.Usage.Max
	}
	if o := met.MemoryOomControl; o != nil {
		s.OOMEvents, s.OOMKills = o.OomKill, o.OomKill
	}
	if b := met.Blkio; b != nil {
		for _, e := range b.IoServiceBytesRecursive {
			switch e.Op {
			case "Read":
				s.BlkioReadBytes += e.Value
			case "Write":
				s.BlkioWriteBytes += e.Value
			}
		}
	}
	if p := met.Pids; p != nil {
		s.PidsCurrent, s.PidsLimit = p.Current, p.Limit
	}
	return s
}
