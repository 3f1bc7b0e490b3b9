package cgroup

import "strings"

// Support says whether this host honours one resource, and why not. A
// host report (`cgrun check`) prints these; Supports refuses with the same
// Reason.
type Support struct {
	Resource  Resource `json:"resource"`
	Supported bool     `json:"supported"`
	File      string   `json:"file,omitempty"`   // the cgroup file the limit lands in
	Reason    string   `json:"reason,omitempty"` // why not, when unsupported
	Note      string   `json:"note,omitempty"`   // a caveat when supported
	// Err is the kind of refusal (ErrNoController, ErrNoFile,
	// ErrRemovedInV2), nil when supported.
	Err error `json:"-"`
}

// Support lists every resource with its support on this host, in a fixed
// order: memory, cpu, cpuset, block I/O, pids, then the Alibaba knobs.
func (h *Host) Support() []Support {
	v2 := h.V2()
	pick := func(v1file, v2file string) string {
		if v2 {
			return v2file
		}
		return v1file
	}
	io := pick("blkio", "io")
	var out []Support
	add := func(res Resource, ctl, file string) *Support {
		fs := Support{Resource: res, File: file, Supported: true}
		if !h.HasController(ctl) {
			fs.Supported, fs.Reason, fs.Err = false, noControllerReason(ctl, v2), ErrNoController
		}
		out = append(out, fs)
		return &out[len(out)-1]
	}
	needFile := func(fs *Support, files ...string) {
		if !fs.Supported {
			return
		}
		for _, f := range files {
			if h.Files[f] {
				fs.File = f
				return
			}
		}
		fs.Supported, fs.Err = false, ErrNoFile
		if len(files) == 1 {
			fs.Reason = noFileReason(files[0])
		} else {
			fs.Reason = "this kernel has none of " + strings.Join(files, ", ")
		}
	}
	refuseV2 := func(fs *Support, file string) {
		if v2 && fs.Supported {
			fs.Supported, fs.Err = false, ErrRemovedInV2
			fs.Reason = "cgroup v2 has no " + file + " (no upstream file)"
		}
	}

	add(MemoryLimit, "memory", pick("memory.limit_in_bytes", "memory.max"))
	fs := add(MemorySwap, "memory", "")
	if v2 {
		needFile(fs, "memory.swap.max")
	} else {
		needFile(fs, "memory.memsw.limit_in_bytes")
	}
	if !fs.Supported && fs.Reason == noFileReason(pick("memory.memsw.limit_in_bytes", "memory.swap.max")) {
		fs.Reason += pick(" (swap accounting is off; boot with swapaccount=1)", " (swap accounting is off)")
	}
	add(MemoryReservation, "memory", pick("memory.soft_limit_in_bytes", "memory.low"))
	refuseV2(add(MemorySwappiness, "memory", pick("memory.swappiness", "")), "memory.swappiness")
	refuseV2(add(MemoryDisableOOM, "memory", pick("memory.oom_control", "")), "memory.oom_control")
	add(CPUPeriod, "cpu", pick("cpu.cfs_period_us", "cpu.max"))
	add(CPUQuota, "cpu", pick("cpu.cfs_quota_us", "cpu.max"))
	add(CPUShares, "cpu", pick("cpu.shares", "cpu.weight"))
	for _, rt := range []struct {
		res  Resource
		file string
	}{{CPURealtimeRuntime, "cpu.rt_runtime_us"}, {CPURealtimePeriod, "cpu.rt_period_us"}} {
		fs := add(rt.res, "cpu", "")
		refuseV2(fs, rt.file)
		if !v2 {
			needFile(fs, rt.file)
			if !fs.Supported && fs.Err == ErrNoFile {
				fs.Reason += " (the kernel is built without CONFIG_RT_GROUP_SCHED)"
			}
		}
	}
	add(CPUSetCPUs, "cpuset", "cpuset.cpus")
	add(CPUSetMems, "cpuset", "cpuset.mems")
	weightNote := h.bfqNote()
	fs = add(BlockIOWeight, io, "")
	needFile(fs, pick("blkio.weight", "io.bfq.weight"), pick("blkio.bfq.weight", "io.weight"))
	fs.Note = weightNote
	fs = add(BlockIOWeightDev, io, "")
	if v2 {
		needFile(fs, "io.bfq.weight")
	} else {
		needFile(fs, "blkio.weight_device", "blkio.bfq.weight_device")
	}
	fs.Note = weightNote
	for _, t := range throttleFiles {
		add(t.res, io, pick("blkio.throttle."+t.v1, "io.max"))
	}
	add(PidsLimit, "pids", "pids.max")
	for _, k := range AlibabaKnobs {
		needFile(add(KnobResource(k), controllerOf(k), k), k)
	}
	for i := range out {
		if !out[i].Supported {
			out[i].Note = ""
		}
	}
	return out
}

// SupportOf returns the support of one resource, false if the package does
// not know it.
func (h *Host) SupportOf(r Resource) (Support, bool) {
	for _, f := range h.Support() {
		if f.Resource == r {
			return f, true
		}
	}
	return Support{}, false
}

func noControllerReason(ctl string, v2 bool) string {
	if v2 {
		return "this host has no " + ctl + " cgroup controller (not in cgroup.controllers)"
	}
	return "this host has no " + ctl + " cgroup controller mounted"
}

// bfqNote says where weights act: only on devices whose scheduler is bfq.
func (h *Host) bfqNote() string {
	var active, avail []string
	for _, d := range h.BlockDevices {
		switch {
		case d.BFQActive:
			active = append(active, d.Name)
		case d.BFQAvailable:
			avail = append(avail, d.Name)
		}
	}
	n := "weights act only on devices whose scheduler is bfq"
	if len(active) > 0 {
		n += "; bfq active on " + strings.Join(active, ",")
	} else {
		n += "; bfq active on none"
	}
	if len(avail) > 0 {
		n += "; bfq available on " + strings.Join(avail, ",") + " (echo bfq > /sys/block/DEV/queue/scheduler)"
	}
	return n
}
