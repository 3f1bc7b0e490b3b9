package cgroup

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// wantsV1 lists the v1 files of the limits r sets.
func wantsV1(paths Paths, r *specs.LinuxResources) []want {
	var ws []want
	add := func(res Resource, ctl, file, req string, ex func(string) string) {
		ws = append(ws, want{res: res, ctl: ctl, file: file, requested: req, extract: ex})
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			add(MemoryLimit, "memory", "memory.limit_in_bytes", bytesV1(*m.Limit), whole)
		}
		if m.Swap != nil && *m.Swap != 0 {
			add(MemorySwap, "memory", "memory.memsw.limit_in_bytes", bytesV1(*m.Swap), whole)
		}
		if m.Reservation != nil {
			add(MemoryReservation, "memory", "memory.soft_limit_in_bytes", bytesV1(*m.Reservation), whole)
		}
		if m.Swappiness != nil {
			add(MemorySwappiness, "memory", "memory.swappiness", strconv.FormatUint(*m.Swappiness, 10), whole)
		}
		if m.DisableOOMKiller != nil {
			v := "0"
			if *m.DisableOOMKiller {
				v = "1"
			}
			add(MemoryDisableOOM, "memory", "memory.oom_control", "oom_kill_disable "+v, lineWith("oom_kill_disable "))
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil {
			add(CPUShares, "cpu", "cpu.shares", strconv.FormatUint(*c.Shares, 10), whole)
		}
		if c.Period != nil {
			add(CPUPeriod, "cpu", "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10), whole)
		}
		if c.Quota != nil {
			q := *c.Quota
			if q <= 0 {
				q = -1
			}
			add(CPUQuota, "cpu", "cpu.cfs_quota_us", strconv.FormatInt(q, 10), whole)
		}
		if c.RealtimeRuntime != nil {
			add(CPURealtimeRuntime, "cpu", "cpu.rt_runtime_us", strconv.FormatInt(*c.RealtimeRuntime, 10), whole)
		}
		if c.RealtimePeriod != nil {
			add(CPURealtimePeriod, "cpu", "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10), whole)
		}
		if c.Cpus != "" {
			add(CPUSetCPUs, "cpuset", "cpuset.cpus", canonicalList(c.Cpus), whole)
		}
		if c.Mems != "" {
			add(CPUSetMems, "cpuset", "cpuset.mems", canonicalList(c.Mems), whole)
		}
	}
	if b := r.BlockIO; b != nil {
		// libcontainer writes blkio.weight where it exists, else the bfq files.
		weight := fileIn(paths, "blkio", "blkio.weight", "blkio.bfq.weight")
		weightDev := "blkio.weight_device"
		if weight == "blkio.bfq.weight" {
			weightDev = "blkio.bfq.weight_device"
		}
		if b.Weight != nil && *b.Weight != 0 {
			add(BlockIOWeight, "blkio", weight, strconv.FormatUint(uint64(*b.Weight), 10), whole)
		}
		for _, d := range b.WeightDevice {
			if d.Weight != nil {
				mm := majmin(d.Major, d.Minor)
				add(BlockIOWeightDev, "blkio", weightDev, mm+" "+strconv.FormatUint(uint64(*d.Weight), 10), lineWith(mm+" "))
			}
		}
		for _, t := range throttleFiles {
			for _, d := range t.of(b) {
				mm := majmin(d.Major, d.Minor)
				add(t.res, "blkio", "blkio.throttle."+t.v1, mm+" "+strconv.FormatUint(d.Rate, 10), lineWith(mm+" "))
			}
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		add(PidsLimit, "pids", "pids.max", pidsMax(*p.Limit), whole)
	}
	return ws
}

// pidsMax is pids.max for a spec limit: <= 0 is unlimited.
func pidsMax(limit int64) string {
	if limit <= 0 {
		return "max"
	}
	return strconv.FormatInt(limit, 10)
}
