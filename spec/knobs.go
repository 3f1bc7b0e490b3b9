package spec

import (
	"fmt"
	"strconv"
)

// KnobAnnotationPrefix starts the annotation that carries an extension
// knob to the cgroup layer: the rest of the key is the cgroup file. It
// equals cgroup.AnnotationPrefix (checked by a test); spec does not import
// cgroup so that the flag layer builds on its own.
const KnobAnnotationPrefix = "io.cgrun.cgroup."

// AnnotationWmarkRatio carries --memory-wmark-ratio.
const AnnotationWmarkRatio = KnobAnnotationPrefix + "memory.wmark_ratio"

// Knob is an Alibaba Cloud Linux kernel file no OCI field carries, with
// PouchContainer's flag and the range the kernel takes.
type Knob struct {
	File     string
	Flag     string
	Min, Max int64
	Usage    string
}

// Knobs are the Alibaba knobs, each settable by its flag (or by
// --annotation io.cgrun.cgroup.FILE=VALUE, as Pouch's API carries them).
var Knobs = []Knob{
	{File: "cpu.bvt_warp_ns", Flag: "cpu-bvt-warp-ns", Min: -1, Max: 2, Usage: "cpu.bvt_warp_ns -1..2: scheduling identity, -1 low (best effort) to 2 high (Alibaba kernels only)"},
	{File: "memory.priority", Flag: "memory-priority", Min: 0, Max: 12, Usage: "memory.priority 0..12: higher is reclaimed and OOM-killed later (Alibaba kernels only)"},
	{File: "memory.use_priority_oom", Flag: "memory-use-priority-oom", Min: 0, Max: 1, Usage: "memory.use_priority_oom 0|1: OOM kills by memory.priority (Alibaba kernels only)"},
	{File: "memory.wmark_ratio", Flag: "memory-wmark-ratio", Min: 0, Max: 100, Usage: "memory.wmark_ratio 0..100: background reclaim watermark (Alibaba kernels only)"},
	{File: "memory.wmark_scale_factor", Flag: "memory-wmark-scale-factor", Min: 1, Max: 1000, Usage: "memory.wmark_scale_factor 1..1000 (Alibaba kernels only)"},
}

// KnobValue is the flag value of knob k.
func (k Knob) KnobValue() *Int {
	return &Int{Min: k.Min, Max: k.Max, Rule: fmt.Sprintf("must be between %d and %d", k.Min, k.Max)}
}

// NewMemoryWmarkRatio is the value of --memory-wmark-ratio: 0..100.
func NewMemoryWmarkRatio() *Int { return knob("memory.wmark_ratio").KnobValue() }

func knob(file string) Knob {
	for _, k := range Knobs {
		if k.File == file {
			return k
		}
	}
	panic("spec: no knob " + file)
}

// checkKnobs checks Resources.Knobs: known files, values in range.
func checkKnobs(r *Resources, _ *Host) error {
	for _, k := range Knobs {
		v, ok := r.Knobs[k.File]
		if ok && (v < k.Min || v > k.Max) {
			return &FlagError{Flag: k.Flag, Value: strconv.FormatInt(v, 10), Rule: fmt.Sprintf("must be between %d and %d", k.Min, k.Max), Err: ErrRange}
		}
	}
	for f := range r.Knobs {
		known := false
		for _, k := range Knobs {
			known = known || k.File == f
		}
		if !known {
			return &FlagError{Flag: "annotation", Value: KnobAnnotationPrefix + f, Rule: "not a knob cgrun knows", Err: ErrSyntax}
		}
	}
	return nil
}
