package cgroup

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Supports refuses what this host cannot honour: a limit of r whose
// controller or file is missing, memory.swappiness and disableOOMKiller on
// cgroup v2, a per-device weight on a device bfq does not schedule, an
// extension knob whose file this kernel lacks. The error is an
// *UnsupportedError worded as Host.Support words the resource (the device,
// for a device weight). The first refusal in Support's order is returned.
func Supports(host *Host, r *specs.LinuxResources, annotations map[string]string) error {
	set := setResources(r)
	for _, f := range host.Support() {
		if set[f.Resource] && !f.Supported {
			return &UnsupportedError{Resource: f.Resource, Reason: f.Reason, Err: f.Err}
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
		res := KnobResource(e.File)
		ctl := controllerOf(e.File)
		if !host.HasController(ctl) {
			return &UnsupportedError{Resource: res, Reason: noControllerReason(ctl, host.V2()), Err: ErrNoController}
		}
		if fs, ok := host.SupportOf(res); ok && !fs.Supported {
			return &UnsupportedError{Resource: res, Reason: fs.Reason, Err: fs.Err}
		}
	}
	return nil
}

// setResources names the resources whose limits r sets.
func setResources(r *specs.LinuxResources) map[Resource]bool {
	s := map[Resource]bool{}
	if r == nil {
		return s
	}
	if m := r.Memory; m != nil {
		s[MemoryLimit] = m.Limit != nil
		s[MemorySwap] = m.Swap != nil && *m.Swap != -1 && *m.Swap != 0
		s[MemoryReservation] = m.Reservation != nil
		s[MemorySwappiness] = m.Swappiness != nil
		s[MemoryDisableOOM] = m.DisableOOMKiller != nil && *m.DisableOOMKiller
	}
	if c := r.CPU; c != nil {
		s[CPUShares] = c.Shares != nil
		s[CPUQuota] = c.Quota != nil
		s[CPUPeriod] = c.Period != nil
		s[CPUSetCPUs] = c.Cpus != ""
		s[CPUSetMems] = c.Mems != ""
		s[CPURealtimeRuntime] = c.RealtimeRuntime != nil
		s[CPURealtimePeriod] = c.RealtimePeriod != nil
	}
	if b := r.BlockIO; b != nil {
		s[BlockIOWeight] = b.Weight != nil && *b.Weight != 0
		s[BlockIOWeightDev] = len(b.WeightDevice) > 0
		for _, t := range throttleFiles {
			s[t.res] = len(t.of(b)) > 0
		}
	}
	if r.Pids != nil {
		s[PidsLimit] = true
	}
	return s
}
