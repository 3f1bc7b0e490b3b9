package main

import (
	"fmt"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/spec"
)

// mergeUpdate merges the limits given to `cgrun update` (r: nil and ""
// are limits not given) into the stored spec s, the one model of what
// was asked for, and checks the result. Rules beyond spec.Validate:
//
//   - -1 resets --memory, --memory-swap, --cpu-quota and --pids-limit (<= 0)
//     to unlimited.
//   - --memory without --memory-swap: an unset or unlimited swap stays so;
//     a swap limit must stay at least the new memory (else the update fails:
//     give --memory-swap too); --memory -1 alone resets swap too.
//   - --cpus and --cpu-period/--cpu-quota stay exclusive against the stored
//     values too; --cpu-quota -1 clears a --cpus limit.
func mergeUpdate(s *specs.Spec, r *spec.Resources, h *spec.Host) error {
	// The cross-flag rules on what was given; memory is checked below
	// against the merged values.
	v := *r
	v.Memory, v.MemorySwap, v.MemoryReservation = nil, nil, nil
	if err := spec.Validate(&v, h); err != nil {
		return err
	}
	res := s.Linux.Resources
	if err := mergeMemory(res, r); err != nil {
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
	if r.MemoryWmarkRatio != nil {
		setAnnotation(s, spec.AnnotationWmarkRatio, strconv.FormatInt(*r.MemoryWmarkRatio, 10))
	}
	return nil
}

func setAnnotation(s *specs.Spec, k, v string) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[k] = v
}

func size(n int64) string { return spec.FormatSize(n) }

func mergeMemory(res *specs.LinuxResources, r *spec.Resources) error {
	if r.Memory == nil && r.MemorySwap == nil && r.MemoryReservation == nil && r.MemorySwappiness == nil {
		return nil
	}
	m := res.Memory
	if m == nil {
		m = &specs.LinuxMemory{}
	}
	oldSwap := m.Swap
	if r.Memory != nil {
		n := *r.Memory
		m.Limit = &n
		if r.MemorySwap == nil && oldSwap != nil && *oldSwap != -1 {
			if n != -1 && *oldSwap < n {
				return &spec.FlagError{Flag: flagMemory, Value: size(n),
					Rule: fmt.Sprintf("must be at most the container's --memory-swap (%s); give --memory-swap too (or -1)", size(*oldSwap))}
			}
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
				return &spec.FlagError{Flag: flagMemorySwap, Value: size(sw), Rule: "needs a --memory limit (give --memory too)"}
			}
			if sw < *m.Limit {
				return &spec.FlagError{Flag: flagMemorySwap, Value: size(sw),
					Rule: fmt.Sprintf("must be at least --memory (%s) or -1", size(*m.Limit))}
			}
		}
	}
	if r.MemoryReservation != nil {
		n := *r.MemoryReservation
		m.Reservation = &n
	}
	if m.Reservation != nil && m.Limit != nil && *m.Limit > 0 && *m.Reservation > *m.Limit {
		return &spec.FlagError{Flag: flagMemoryReservation, Value: size(*m.Reservation),
			Rule: fmt.Sprintf("must be at most --memory (%s)", size(*m.Limit))}
	}
	if r.MemorySwappiness != nil {
		n := *r.MemorySwappiness
		m.Swappiness = &n
	}
	res.Memory = m
	return nil
}

func mergeCPU(s *specs.Spec, r *spec.Resources) error {
	if r.CPUPeriod == nil && r.CPUQuota == nil && r.NanoCPUs == nil && r.CPUShares == nil &&
		r.CpusetCpus == "" && r.CpusetMems == "" {
		return nil
	}
	res := s.Linux.Resources
	c := res.CPU
	if c == nil {
		c = &specs.LinuxCPU{}
	}
	cpus, haveCPUs := s.Annotations[spec.AnnotationCPUs]
	quotaSet := c.Quota != nil && *c.Quota > 0
	resetQuota := r.CPUQuota != nil && *r.CPUQuota == -1
	switch {
	case r.NanoCPUs != nil && quotaSet && !haveCPUs:
		return &spec.FlagError{Flag: flagCPUs, Value: spec.FormatNanoCPUs(*r.NanoCPUs),
			Rule: "cannot be combined with the container's --cpu-period/--cpu-quota; clear them with --cpu-quota -1 first"}
	case (r.CPUPeriod != nil || (r.CPUQuota != nil && !resetQuota)) && haveCPUs:
		flag, val := flagCPUQuota, ""
		if r.CPUQuota != nil {
			val = strconv.FormatInt(*r.CPUQuota, 10)
		} else {
			flag, val = flagCPUPeriod, strconv.FormatUint(*r.CPUPeriod, 10)
		}
		return &spec.FlagError{Flag: flag, Value: val,
			Rule: fmt.Sprintf("cannot be combined with the container's --cpus (%s); change --cpus, or clear it with --cpu-quota -1", cpus)}
	}
	if r.NanoCPUs != nil {
		p := uint64(spec.DefaultCPUPeriod)
		q := spec.CPUQuotaFor(*r.NanoCPUs, p)
		c.Period, c.Quota = &p, &q
		setAnnotation(s, spec.AnnotationCPUs, spec.FormatNanoCPUs(*r.NanoCPUs))
	}
	if r.CPUPeriod != nil {
		p := *r.CPUPeriod
		c.Period = &p
	}
	if r.CPUQuota != nil {
		q := *r.CPUQuota
		c.Quota = &q
		if resetQuota {
			delete(s.Annotations, spec.AnnotationCPUs)
		}
	}
	if r.CPUShares != nil {
		n := *r.CPUShares
		c.Shares = &n
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

func mergeBlockIO(res *specs.LinuxResources, r *spec.Resources) {
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
func mergeThrottles(old []specs.LinuxThrottleDevice, given []spec.ThrottleDevice) []specs.LinuxThrottleDevice {
	out := append([]specs.LinuxThrottleDevice(nil), old...)
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
