package cgroup

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Block I/O weights act only where bfq schedules the device: the kernel
// refuses a per-device weight elsewhere (EOPNOTSUPP) and a cgroup weight
// does nothing on a device under another scheduler.

// WeightReason says why a weight on d does nothing, naming the device and
// the fix; "" when bfq is active on it. Supports refuses a
// per-device weight on d with it and a host report prints it beside d.
func (d BlockDevice) WeightReason() string {
	if d.BFQActive {
		return ""
	}
	sched := "/sys/block/" + d.Name + "/queue/scheduler"
	fix := "echo bfq > " + sched
	if !d.BFQAvailable {
		fix = "modprobe bfq, then " + fix
	}
	return fmt.Sprintf("device %s (%s) is scheduled by %s, and weights act only under bfq (%s)", d.Name, d.MajMin, d.Scheduler, fix)
}

// blockDevice finds the probed device major:minor; false when it is not a
// whole disk with a scheduler (a partition, or block devices not probed).
func (h *Host) blockDevice(major, minor int64) (BlockDevice, bool) {
	mm := fmt.Sprintf("%d:%d", major, minor)
	for _, d := range h.BlockDevices {
		if d.MajMin == mm {
			return d, true
		}
	}
	return BlockDevice{}, false
}

// weightDeviceRefusal refuses the first per-device weight of r on a probed
// device that bfq does not schedule.
func weightDeviceRefusal(h *Host, r *specs.LinuxResources) error {
	if r == nil || r.BlockIO == nil {
		return nil
	}
	for _, wd := range r.BlockIO.WeightDevice {
		if wd.Weight == nil {
			continue
		}
		if d, ok := h.blockDevice(wd.Major, wd.Minor); ok && !d.BFQActive {
			return &UnsupportedError{Resource: BlockIOWeightDev, Reason: d.WeightReason(), Err: ErrNotScheduled}
		}
	}
	return nil
}

// Warning is a limit this host accepts but that does nothing as asked.
type Warning struct {
	Resource Resource
	Value    string // the limit's value, as the spec holds it
	Reason   string
}

func (w Warning) String() string { return string(w.Resource) + " " + w.Value + ": " + w.Reason }

// Warnings lists what r sets that this host accepts but that does nothing:
// a block IO weight while no block device has bfq active.
func Warnings(h *Host, r *specs.LinuxResources) []Warning {
	if r == nil || r.BlockIO == nil || r.BlockIO.Weight == nil || *r.BlockIO.Weight == 0 {
		return nil
	}
	for _, d := range h.BlockDevices {
		if d.BFQActive {
			return nil
		}
	}
	return []Warning{{Resource: BlockIOWeight, Value: strconv.Itoa(int(*r.BlockIO.Weight)),
		Reason: "no block device has bfq active, so the weight does nothing (echo bfq > /sys/block/DEV/queue/scheduler)"}}
}
