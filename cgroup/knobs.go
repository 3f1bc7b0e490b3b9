package cgroup

import "slices"

// Knob is an extension cgroup file that no OCI field carries, with the
// Docker/Pouch-style flag that sets it.
type Knob struct {
	File string `json:"file"`
	Flag string `json:"flag"`
}

// AlibabaKnobs are the Alibaba Cloud Linux kernel files cgrun knows, sorted
// by file name. They exist only on those kernels.
var AlibabaKnobs = []Knob{
	{File: "cpu.bvt_warp_ns", Flag: "--cpu-bvt-warp-ns"},
	{File: "memory.priority", Flag: "--memory-priority"},
	{File: "memory.use_priority_oom", Flag: "--memory-use-priority-oom"},
	{File: "memory.wmark_ratio", Flag: "--memory-wmark-ratio"},
	{File: "memory.wmark_scale_factor", Flag: "--memory-wmark-scale-factor"},
}

// KnobFlag returns the flag that sets the extension file: the known flag of
// an Alibaba knob, else "--annotation " + its annotation key.
func KnobFlag(file string) string {
	if k, ok := alibabaKnob(file); ok {
		return k.Flag
	}
	return "--annotation " + AnnotationPrefix + file
}

func alibabaKnob(file string) (Knob, bool) {
	i := slices.IndexFunc(AlibabaKnobs, func(k Knob) bool { return k.File == file })
	if i < 0 {
		return Knob{}, false
	}
	return AlibabaKnobs[i], true
}

// noFileReason is the one wording, shared by Supports, ApplyExtensions and
// `cgrun check`, for a kernel file that does not exist.
func noFileReason(file string) string {
	r := "this kernel has no " + file
	if _, ok := alibabaKnob(file); ok {
		r += " (Alibaba Cloud Linux kernels only)"
	}
	return r
}
