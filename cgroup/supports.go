package cgroup

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Supports refuses what this host cannot honour: a limit of r whose
// controller or file is missing, --memory-swappiness and --oom-kill-disable
// on cgroup v2, a --blkio-weight-device on a device bfq does not schedule,
// an extension knob whose file this kernel lacks. The error is an
// *UnsupportedError worded as `cgrun check` words the flag (the device, for a
// device weight). The first refusal in Flags' order is returned.
func Supports(host *Host, r *specs.LinuxResources, annotations map[string]string) error {
	set := setFlags(r)
	for _, f := range host.Flags() {
		if set[f.Flag] && !f.Supported {
			return &UnsupportedError{Flag: f.Flag, Reason: f.Reason}
		}
	}
	if err := weightDeviceRefusal(host, r); err != nil {
		return err
	}
	exts, err := Extensions(annotations)
	if err != nil {
		return err
	}
	for _, e := range exts {
		flag := KnobFlag(e.File)
		ctl := controllerOf(e.File)
		if !host.HasController(ctl) {
			return &UnsupportedError{Flag: flag, Reason: noControllerReason(ctl, host.V2())}
		}
		if fs, ok := host.Flag(flag); ok && !fs.Supported {
			return &UnsupportedError{Flag: flag, Reason: fs.Reason}
		}
	}
	return nil
}

// setFlags names the flags whose limits r sets.
func setFlags(r *specs.LinuxResources) map[string]bool {
	s := map[string]bool{}
	if r == nil {
		return s
	}
	if m := r.Memory; m != nil {
		s["--memory"] = m.Limit != nil
		s["--memory-swap"] = m.Swap != nil && *m.Swap != -1 && *m.Swap != 0
		s["--memory-reservation"] = m.Reservation != nil
		s["--memory-swappiness"] = m.Swappiness != nil
		s["--oom-kill-disable"] = m.DisableOOMKiller != nil && *m.DisableOOMKiller
	}
	if c := r.CPU; c != nil {
		s["--cpu-shares"] = c.Shares != nil
		s["--cpu-quota"] = c.Quota != nil
		s["--cpu-period"] = c.Period != nil
		s["--cpuset-cpus"] = c.Cpus != ""
		s["--cpuset-mems"] = c.Mems != ""
	}
	if b := r.BlockIO; b != nil {
		s["--blkio-weight"] = b.Weight != nil && *b.Weight != 0
		s["--blkio-weight-device"] = len(b.WeightDevice) > 0
		s["--device-read-bps"] = len(b.ThrottleReadBpsDevice) > 0
		s["--device-write-bps"] = len(b.ThrottleWriteBpsDevice) > 0
		s["--device-read-iops"] = len(b.ThrottleReadIOPSDevice) > 0
		s["--device-write-iops"] = len(b.ThrottleWriteIOPSDevice) > 0
	}
	if r.Pids != nil {
		s["--pids-limit"] = true
	}
	return s
}
