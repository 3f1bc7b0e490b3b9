package cgroup

import (
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ProbeFor probes only what Supports needs to judge r and annotations: the
// cgroup mode and controllers always, control files only of the controllers
// whose set limits depend on a file (swap, block I/O weights, extension
// knobs), block devices only for weights, and no iSCSI. It is the probe on
// the start path of every container; Probe is the full one `cgrun check`
// prints.
func ProbeFor(r *specs.LinuxResources, annotations map[string]string, opts ...Option) (*Host, error) {
	c := newConfig(opts)
	h, err := probeLayout(c)
	if err != nil {
		return nil, err
	}
	exts, err := Extensions(annotations)
	if err != nil {
		return h, nil // Supports refuses the annotation itself
	}
	set := setResources(r)
	need := map[string]bool{}
	if set[MemorySwap] {
		need["memory"] = true
	}
	if set[CPURealtimeRuntime] || set[CPURealtimePeriod] {
		need["cpu"] = true
	}
	if set[BlockIOWeight] || set[BlockIOWeightDev] {
		need[ioController(h.V2())] = true
		// weights act only under bfq: Supports and Warnings read schedulers
		h.BlockDevices, _ = probeBlockDevices(filepath.Join(c.sysfs, "block"))
	}
	requested := map[string]bool{}
	for _, e := range exts {
		requested[e.File] = true
		need[controllerOf(e.File)] = true
	}
	knob := map[string]bool{}
	for _, k := range AlibabaKnobs {
		knob[k] = true
	}
	for ctl, files := range wantedFiles(h.Mode) {
		if !need[ctl] {
			continue
		}
		var probe []string
		for _, f := range files {
			if !knob[f] || requested[f] {
				probe = append(probe, f)
			}
		}
		h.probeControllerFiles(c, ctl, probe)
	}
	h.setSwapAccounting()
	return h, nil
}

func ioController(v2 bool) string {
	if v2 {
		return "io"
	}
	return "blkio"
}
