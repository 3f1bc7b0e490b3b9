package cgroup

import "slices"

// AlibabaKnobs are the Alibaba Cloud Linux kernel files the package knows,
// sorted by name. They exist only on those kernels; each is set through its
// annotation (KnobResource).
var AlibabaKnobs = []string{
	"cpu.bvt_warp_ns",
	"memory.priority",
	"memory.use_priority_oom",
	"memory.wmark_ratio",
	"memory.wmark_scale_factor",
}

func isAlibabaKnob(file string) bool { return slices.Contains(AlibabaKnobs, file) }

// noFileReason is the one wording, shared by Supports, ApplyExtensions and
// Host.Support, for a kernel file that does not exist.
func noFileReason(file string) string {
	r := "this kernel has no " + file
	if isAlibabaKnob(file) {
		r += " (Alibaba Cloud Linux kernels only)"
	}
	return r
}
