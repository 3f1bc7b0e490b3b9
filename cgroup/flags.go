package cgroup

import "strings"

// FlagSupport says whether this host honours one flag, and why not. `cgrun
// check` prints these; Supports refuses with the same Reason.
type FlagSupport struct {
	Flag      string `json:"flag"`
	Supported bool   `json:"supported"`
	File      string `json:"file,omitempty"`   // the cgroup file the flag lands in
	Reason    string `json:"reason,omitempty"` // why not, when unsupported
	Note      string `json:"note,omitempty"`   // a caveat when supported
}

// Flags lists every limit flag with its support on this host, in a fixed
// order: memory, cpu, cpuset, block I/O, pids, then the Alibaba knobs.
func (h *Host) Flags() []FlagSupport {
	v2 := h.V2()
	pick := func(v1file, v2file string) string {
		if v2 {
			return v2file
		}
		return v1file
	}
	io := pick("blkio", "io")
	var out []FlagSupport
	add := func(flag, ctl, file string) *FlagSupport {
		fs := FlagSupport{Flag: flag, File: file, Supported: true}
		if !h.HasController(ctl) {
			fs.Supported, fs.Reason = false, noControllerReason(ctl, v2)
		}
		out = append(out, fs)
		return &out[len(out)-1]
	}
	needFile := func(fs *FlagSupport, files ...string) {
		if !fs.Supported {
			return
		}
		for _, f := range files {
			if h.Files[f] {
				fs.File = f
				return
			}
		}
		fs.Supported = false
		if len(files) == 1 {
			fs.Reason = noFileReason(files[0])
		} else {
			fs.Reason = "this kernel has none of " + strings.Join(files, ", ")
		}
	}
	refuseV2 := func(fs *FlagSupport, file, advice string) {
		if v2 && fs.Supported {
			fs.Supported = false
			fs.Reason = "cgroup v2 has no " + file + " (no upstream file); " + advice
		}
	}

	add("--memory", "memory", pick("memory.limit_in_bytes", "memory.max"))
	fs := add("--memory-swap", "memory", "")
	if v2 {
		needFile(fs, "memory.swap.max")
	} else {
		needFile(fs, "memory.memsw.limit_in_bytes")
	}
	if !fs.Supported && fs.Reason == noFileReason(pick("memory.memsw.limit_in_bytes", "memory.swap.max")) {
		fs.Reason += pick(" (swap accounting is off; boot with swapaccount=1)", " (swap accounting is off)")
	}
	add("--memory-reservation", "memory", pick("memory.soft_limit_in_bytes", "memory.low"))
	refuseV2(add("--memory-swappiness", "memory", pick("memory.swappiness", "")), "memory.swappiness", "leave it unset")
	refuseV2(add("--oom-kill-disable", "memory", pick("memory.oom_control", "")), "memory.oom_control",
		"use --oom-score-adj to keep the OOM killer away from the process")
	add("--cpu-period", "cpu", pick("cpu.cfs_period_us", "cpu.max"))
	add("--cpu-quota", "cpu", pick("cpu.cfs_quota_us", "cpu.max"))
	add("--cpus", "cpu", pick("cpu.cfs_quota_us", "cpu.max"))
	add("--cpu-shares", "cpu", pick("cpu.shares", "cpu.weight"))
	add("--cpuset-cpus", "cpuset", "cpuset.cpus")
	add("--cpuset-mems", "cpuset", "cpuset.mems")
	weightNote := h.bfqNote()
	fs = add("--blkio-weight", io, "")
	needFile(fs, pick("blkio.weight", "io.bfq.weight"), pick("blkio.bfq.weight", "io.weight"))
	fs.Note = weightNote
	fs = add("--blkio-weight-device", io, "")
	if v2 {
		needFile(fs, "io.bfq.weight")
	} else {
		needFile(fs, "blkio.weight_device", "blkio.bfq.weight_device")
	}
	fs.Note = weightNote
	for _, rw := range []string{"read", "write"} {
		for _, unit := range []string{"bps", "iops"} {
			add("--device-"+rw+"-"+unit, io, pick("blkio.throttle."+rw+"_"+unit+"_device", "io.max"))
		}
	}
	add("--pids-limit", "pids", "pids.max")
	for _, k := range AlibabaKnobs {
		needFile(add(k.Flag, controllerOf(k.File), k.File), k.File)
	}
	for i := range out {
		if !out[i].Supported {
			out[i].Note = ""
		}
	}
	return out
}

// Flag returns the support of one flag, false if cgrun does not know it.
func (h *Host) Flag(name string) (FlagSupport, bool) {
	for _, f := range h.Flags() {
		if f.Flag == name {
			return f, true
		}
	}
	return FlagSupport{}, false
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
