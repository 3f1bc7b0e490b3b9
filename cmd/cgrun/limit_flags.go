package main

import (
	"errors"
	"strings"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/spec"
)

// limitFlags maps cgrun's limit flags to the cgroup resources they set, in
// the order `cgrun check` lists them. advice is added to a v2 refusal
// (cgroup.ErrRemovedInV2).
var limitFlags = []struct {
	flag   string
	res    cgroup.Resource
	advice string
}{
	{"--memory", cgroup.MemoryLimit, ""},
	{"--memory-swap", cgroup.MemorySwap, ""},
	{"--memory-reservation", cgroup.MemoryReservation, ""},
	{"--memory-swappiness", cgroup.MemorySwappiness, "leave it unset"},
	{"--oom-kill-disable", cgroup.MemoryDisableOOM, "use --oom-score-adj to keep the OOM killer away from the process"},
	{"--cpu-period", cgroup.CPUPeriod, ""},
	{"--cpu-quota", cgroup.CPUQuota, ""},
	{"--cpus", cgroup.CPUQuota, ""},
	{"--cpu-shares", cgroup.CPUShares, ""},
	{"--cpu-rt-runtime", cgroup.CPURealtimeRuntime, "leave it unset"},
	{"--cpu-rt-period", cgroup.CPURealtimePeriod, "leave it unset"},
	{"--cpuset-cpus", cgroup.CPUSetCPUs, ""},
	{"--cpuset-mems", cgroup.CPUSetMems, ""},
	{"--blkio-weight", cgroup.BlockIOWeight, ""},
	{"--blkio-weight-device", cgroup.BlockIOWeightDev, ""},
	{"--device-read-bps", cgroup.ThrottleReadBps, ""},
	{"--device-write-bps", cgroup.ThrottleWriteBps, ""},
	{"--device-read-iops", cgroup.ThrottleReadIOPS, ""},
	{"--device-write-iops", cgroup.ThrottleWriteIOPS, ""},
	{"--pids-limit", cgroup.PidsLimit, ""},
}

// flagOf names the flag that sets res: the first of limitFlags, a knob's
// flag, else `--annotation KEY` (an extension knob set by annotation).
func flagOf(res cgroup.Resource) string {
	for _, f := range limitFlags {
		if f.res == res {
			return f.flag
		}
	}
	if file, ok := res.Knob(); ok {
		for _, k := range spec.Knobs {
			if k.File == file {
				return "--" + k.Flag
			}
		}
		return "--annotation " + string(res)
	}
	return string(res)
}

// reasonOf is a refusal's reason with the flag's advice for a v2 refusal.
func reasonOf(res cgroup.Resource, reason string, kind error) string {
	if !errors.Is(kind, cgroup.ErrRemovedInV2) {
		return reason
	}
	for _, f := range limitFlags {
		if f.res == res && f.advice != "" {
			return reason + "; " + f.advice
		}
	}
	return reason
}

// flagSupport is one row of `cgrun check`: a flag and whether this host
// honours it, in the words run refuses it with.
type flagSupport struct {
	Flag      string `json:"flag"`
	Supported bool   `json:"supported"`
	File      string `json:"file,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Note      string `json:"note,omitempty"`
}

// flagSupports lists every limit flag, then every knob flag, with the
// host's support of its resource.
func flagSupports(h *cgroup.Host) []flagSupport {
	row := func(flag string, s cgroup.Support) flagSupport {
		return flagSupport{Flag: flag, Supported: s.Supported, File: s.File, Reason: reasonOf(s.Resource, s.Reason, s.Err), Note: s.Note}
	}
	var out []flagSupport
	for _, f := range limitFlags {
		if s, ok := h.SupportOf(f.res); ok {
			out = append(out, row(f.flag, s))
		}
	}
	for _, k := range spec.Knobs {
		if s, ok := h.SupportOf(cgroup.KnobResource(k.File)); ok {
			out = append(out, row("--"+k.Flag, s))
		}
	}
	return out
}

// warningText words a cgroup warning with the flag: "--blkio-weight 300: ...".
func warningText(w cgroup.Warning) string {
	return flagOf(w.Resource) + " " + w.Value + ": " + w.Reason
}

// cgroupErrorText words the cgroup package's typed errors in err with
// flags, as `cgrun check` does: the library's wording of the typed error
// is replaced by cgrun's, the context around it kept.
func cgroupErrorText(err error, msg string) string {
	var ue *cgroup.UnsupportedError
	if errors.As(err, &ue) {
		msg = strings.Replace(msg, ue.Error(), flagOf(ue.Resource)+": "+reasonOf(ue.Resource, ue.Reason, ue.Err), 1)
	}
	var we *cgroup.WriteError
	if errors.As(err, &we) {
		lib := we.Error()
		msg = strings.Replace(msg, lib, flagOf(we.Resource)+strings.TrimPrefix(lib, string(we.Resource)), 1)
	}
	return msg
}
