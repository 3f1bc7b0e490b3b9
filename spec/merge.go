package spec

import (
	"fmt"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Merge is the one translation of limits into a spec: it merges the limits
// given in r into s, where a nil field (an empty list or string) keeps what
// s holds. Generate merges into a new spec; an update merges into a
// running container's recorded spec; a volume's block IO limits are merged
// once its disk is known. It checks r's rules (Validate) and the rules
// between r and what s already holds:
//
//   - -1 resets Memory, MemorySwap and CPUQuota to unlimited (PidsLimit: -1).
//   - Memory without MemorySwap: an unset or unlimited swap stays so, a swap
//     limit must stay at least the new memory, and Memory -1 resets swap too.
//   - NanoCPUs and CPUPeriod/CPUQuota stay exclusive against s too (s records
//     NanoCPUs as AnnotationCPUs); CPUQuota -1 clears NanoCPUs.
//   - A device entry replaces s's entry of the same device; entries are
//     sorted by device, so the same limits write the same way.
//
// OOMScoreAdj is the process's, not a cgroup limit: Generate sets it, Merge
// leaves it. On error s may hold part of the change: merge into a copy when
// s must stay as it was (container.Runtime's Amend and Update do).
func Merge(s *specs.Spec, r *Resources, h *Host) error {
	if h == nil {
		h = ProbeHost()
	}
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	if s.Linux.Resources == nil {
		s.Linux.Resources = &specs.LinuxResources{}
	}
	res := s.Linux.Resources
	if err := mergeMemory(res, r); err != nil {
		return err
	}
	// The memory rules ran above, against the merged values.
	v := *r
	v.Memory, v.MemorySwap, v.MemoryReservation = nil, nil, nil
	if err := Validate(&v, h); err != nil {
		return err
	}
	if err := mergeCPU(s, r); err != nil {
		return err
	}
	mergeBlockIO(res, r)
	if r.PidsLimit != nil {
		n := *r.PidsLimit
		res.Pids = &specs.LinuxPids{Limit: &n}
	}
	for _, k := range Knobs { // in a fixed order: the annotations map is, the writes are sorted by cgroup
		if v, ok := r.Knobs[k.File]; ok {
			setAnnotation(s, KnobAnnotationPrefix+k.File, strconv.FormatInt(v, 10))
		}
	}
	return nil
}

func setAnnotation(s *specs.Spec, k, v string) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[k] = v
}

func mergeMemory(res *specs.LinuxResources, r *Resources) error {
	if r.Memory == nil && r.MemorySwap == nil && r.MemoryReservation == nil &&
		r.MemorySwappiness == nil && r.OOMKillDisable == nil {
		return nil
	}
	m := res.Memory
	if m == nil {
		m = &specs.LinuxMemory{}
	}
	oldSwap := m.Swap
	if r.Memory != nil {
		n := *r.Memory
		if n != -1 && n < MinMemory {
			return &FlagError{Flag: "memory", Value: size(&n), Rule: "must be at least " + FormatSize(MinMemory), Err: ErrRange}
		}
		m.Limit = &n
		if r.MemorySwap == nil && oldSwap != nil && *oldSwap != -1 && n != -1 && *oldSwap < n {
			return &FlagError{Flag: "memory", Value: size(&n), Err: ErrRange,
				Rule: fmt.Sprintf("must be at most the container's --memory-swap (%s); give --memory-swap too (or -1)", size(oldSwap))}
		}
		if n == -1 && r.MemorySwap == nil {
			sw := int64(-1)
			m.Swap = &sw
		}
	}
	if r.MemorySwap != nil {
		sw := *r.MemorySwap
		m.Swap = &sw
		if sw != -1 {
			if m.Limit == nil || *m.Limit == -1 {
				return &FlagError{Flag: "memory-swap", Value: size(&sw), Rule: "needs --memory", Err: ErrRange}
			}
			if sw < *m.Limit {
				return &FlagError{Flag: "memory-swap", Value: size(&sw),
					Rule: fmt.Sprintf("must be at least --memory (%s) or -1", size(m.Limit)), Err: ErrRange}
			}
		}
	}
	if r.MemoryReservation != nil {
		n := *r.MemoryReservation
		if n < 0 {
			return &FlagError{Flag: "memory-reservation", Value: size(&n), Rule: "must not be negative", Err: ErrRange}
		}
		m.Reservation = &n
	}
	if m.Reservation != nil && m.Limit != nil && *m.Limit > 0 && *m.Reservation > *m.Limit {
		return &FlagError{Flag: "memory-reservation", Value: size(m.Reservation),
			Rule: fmt.Sprintf("must be at most --memory (%s)", size(m.Limit)), Err: ErrRange}
	}
	if r.MemorySwappiness != nil {
		n := *r.MemorySwappiness
		m.Swappiness = &n
	}
	if r.OOMKillDisable != nil {
		b := *r.OOMKillDisable
		m.DisableOOMKiller = &b
	}
	res.Memory = m
	return nil
}

func mergeCPU(s *specs.Spec, r *Resources) error {
	if r.CPUPeriod == nil && r.CPUQuota == nil && r.NanoCPUs == nil && r.CPUShares == nil &&
		r.CpusetCpus == "" && r.CpusetMems == "" && r.CPURealtimeRuntime == nil && r.CPURealtimePeriod == nil {
		return nil
	}
	res := s.Linux.Resources
	c := res.CPU
	if c == nil {
		c = &specs.LinuxCPU{}
	}
	cpus, haveCPUs := s.Annotations[AnnotationCPUs]
	quotaSet := c.Quota != nil && *c.Quota > 0
	resetQuota := r.CPUQuota != nil && *r.CPUQuota == -1
	switch {
	case r.NanoCPUs != nil && quotaSet && !haveCPUs:
		return &FlagError{Flag: "cpus", Value: FormatNanoCPUs(*r.NanoCPUs), Err: ErrRange,
			Rule: "cannot be combined with the container's --cpu-period/--cpu-quota; clear them with --cpu-quota -1 first"}
	case (r.CPUPeriod != nil || (r.CPUQuota != nil && !resetQuota)) && haveCPUs:
		flag, val := "cpu-quota", ""
		if r.CPUQuota != nil {
			val = strconv.FormatInt(*r.CPUQuota, 10)
		} else {
			flag, val = "cpu-period", strconv.FormatUint(*r.CPUPeriod, 10)
		}
		return &FlagError{Flag: flag, Value: val, Err: ErrRange,
			Rule: fmt.Sprintf("cannot be combined with the container's --cpus (%s); change --cpus, or clear it with --cpu-quota -1", cpus)}
	}
	if r.NanoCPUs != nil {
		p := uint64(DefaultCPUPeriod)
		q := CPUQuotaFor(*r.NanoCPUs, p)
		c.Period, c.Quota = &p, &q
		setAnnotation(s, AnnotationCPUs, FormatNanoCPUs(*r.NanoCPUs))
	}
	if r.CPUPeriod != nil {
		p := *r.CPUPeriod
		c.Period = &p
	}
	if r.CPUQuota != nil {
		q := *r.CPUQuota
		c.Quota = &q
		if resetQuota {
			delete(s.Annotations, AnnotationCPUs)
		}
	}
	if r.CPUShares != nil {
		n := *r.CPUShares
		c.Shares = &n
	}
	if r.CPURealtimeRuntime != nil {
		n := *r.CPURealtimeRuntime
		c.RealtimeRuntime = &n
	}
	if r.CPURealtimePeriod != nil {
		n := *r.CPURealtimePeriod
		c.RealtimePeriod = &n
	}
	if c.RealtimeRuntime != nil && c.RealtimePeriod != nil && *c.RealtimeRuntime > int64(*c.RealtimePeriod) {
		return &FlagError{Flag: "cpu-rt-runtime", Value: strconv.FormatInt(*c.RealtimeRuntime, 10), Err: ErrRange,
			Rule: fmt.Sprintf("must be at most --cpu-rt-period (%d)", *c.RealtimePeriod)}
	}
	if r.CpusetCpus != "" {
		c.Cpus = r.CpusetCpus
	}
	if r.CpusetMems != "" {
		c.Mems = r.CpusetMems
	}
	res.CPU = c
	return nil
}

func mergeBlockIO(res *specs.LinuxResources, r *Resources) {
	if r.BlkioWeight == nil && len(r.BlkioWeightDevice) == 0 && len(r.DeviceReadBps) == 0 &&
		len(r.DeviceWriteBps) == 0 && len(r.DeviceReadIOps) == 0 && len(r.DeviceWriteIOps) == 0 {
		return
	}
	b := res.BlockIO
	if b == nil {
		b = &specs.LinuxBlockIO{}
	}
	if r.BlkioWeight != nil {
		w := *r.BlkioWeight
		b.Weight = &w
	}
	for _, e := range r.BlkioWeightDevice {
		w := e.Weight
		wd := specs.LinuxWeightDevice{Weight: &w}
		wd.Major, wd.Minor = e.Device.Major, e.Device.Minor
		i := slices.IndexFunc(b.WeightDevice, func(o specs.LinuxWeightDevice) bool { return o.LinuxBlockIODevice == wd.LinuxBlockIODevice })
		if i >= 0 {
			b.WeightDevice[i] = wd
		} else {
			b.WeightDevice = append(b.WeightDevice, wd)
		}
	}
	slices.SortStableFunc(b.WeightDevice, func(x, y specs.LinuxWeightDevice) int { return devCmp(x.LinuxBlockIODevice, y.LinuxBlockIODevice) })
	b.ThrottleReadBpsDevice = mergeThrottles(b.ThrottleReadBpsDevice, r.DeviceReadBps)
	b.ThrottleWriteBpsDevice = mergeThrottles(b.ThrottleWriteBpsDevice, r.DeviceWriteBps)
	b.ThrottleReadIOPSDevice = mergeThrottles(b.ThrottleReadIOPSDevice, r.DeviceReadIOps)
	b.ThrottleWriteIOPSDevice = mergeThrottles(b.ThrottleWriteIOPSDevice, r.DeviceWriteIOps)
	res.BlockIO = b
}

// mergeThrottles replaces or adds the entries given, by device, sorted.
func mergeThrottles(old []specs.LinuxThrottleDevice, given []ThrottleDevice) []specs.LinuxThrottleDevice {
	out := slices.Clone(old)
	for _, e := range given {
		td := specs.LinuxThrottleDevice{Rate: e.Rate}
		td.Major, td.Minor = e.Device.Major, e.Device.Minor
		i := slices.IndexFunc(out, func(o specs.LinuxThrottleDevice) bool { return o.LinuxBlockIODevice == td.LinuxBlockIODevice })
		if i >= 0 {
			out[i] = td
		} else {
			out = append(out, td)
		}
	}
	slices.SortStableFunc(out, func(x, y specs.LinuxThrottleDevice) int { return devCmp(x.LinuxBlockIODevice, y.LinuxBlockIODevice) })
	return out
}

func devCmp(a, b specs.LinuxBlockIODevice) int {
	if a.Major != b.Major {
		return int(a.Major - b.Major)
	}
	return int(a.Minor - b.Minor)
}
