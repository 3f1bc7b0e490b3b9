package spec

import (
	"fmt"
	"strconv"
)

// check is one cross-flag rule; it returns a *FlagError or nil.
type check func(r *Resources, h *Host) error

// checks are the cross-flag rules, in the order they are reported.
var checks = []check{
	checkMemoryMin,
	checkSwapNeedsMemory,
	checkSwapAtLeastMemory,
	checkReservation,
	checkSwappinessV2,
	checkOOMKillDisableV2,
	checkKnobs,
	checkOOMScoreAdj,
	checkCPUsExclusive,
	checkCPUsHost,
	checkCPUPeriod,
	checkCPUQuota,
	checkCPUShares,
	checkCpusetCpus,
	checkCpusetMems,
	checkBlkioWeight,
	checkWeightDevices,
	checkPidsLimit,
}

// Validate applies every cross-flag rule to r on host h and returns the
// first broken one as a *FlagError.
func Validate(r *Resources, h *Host) error {
	for _, c := range checks {
		if err := c(r, h); err != nil {
			return err
		}
	}
	return nil
}

// Warnings lists what is accepted but may not act as the user expects.
func Warnings(r *Resources) []string {
	var w []string
	if r.OOMKillDisable != nil && *r.OOMKillDisable && r.Memory == nil {
		w = append(w, "--oom-kill-disable without --memory: an out-of-memory host may hang")
	}
	return w
}

func size(p *int64) string { return FormatSize(*p) }

func checkMemoryMin(r *Resources, _ *Host) error {
	if r.Memory != nil && *r.Memory < MinMemory {
		return &FlagError{Flag: "memory", Value: size(r.Memory), Rule: "must be at least " + FormatSize(MinMemory), Err: ErrRange}
	}
	return nil
}

func checkSwapNeedsMemory(r *Resources, _ *Host) error {
	if r.MemorySwap != nil && *r.MemorySwap != -1 && r.Memory == nil {
		return &FlagError{Flag: "memory-swap", Value: size(r.MemorySwap), Rule: "needs --memory", Err: ErrRange}
	}
	return nil
}

func checkSwapAtLeastMemory(r *Resources, _ *Host) error {
	if r.MemorySwap == nil || r.Memory == nil || *r.MemorySwap == -1 {
		return nil
	}
	if *r.MemorySwap < *r.Memory {
		return &FlagError{Flag: "memory-swap", Value: size(r.MemorySwap),
			Rule: fmt.Sprintf("must be at least --memory (%s) or -1", size(r.Memory)), Err: ErrRange}
	}
	return nil
}

func checkReservation(r *Resources, _ *Host) error {
	if r.MemoryReservation == nil {
		return nil
	}
	if *r.MemoryReservation < 0 {
		return &FlagError{Flag: "memory-reservation", Value: size(r.MemoryReservation), Rule: "must not be negative", Err: ErrRange}
	}
	if r.Memory != nil && *r.MemoryReservation > *r.Memory {
		return &FlagError{Flag: "memory-reservation", Value: size(r.MemoryReservation),
			Rule: fmt.Sprintf("must be at most --memory (%s)", size(r.Memory)), Err: ErrRange}
	}
	return nil
}

func checkSwappinessV2(r *Resources, h *Host) error {
	if r.MemorySwappiness == nil {
		return nil
	}
	v := strconv.FormatUint(*r.MemorySwappiness, 10)
	if *r.MemorySwappiness > 100 {
		return &FlagError{Flag: "memory-swappiness", Value: v, Rule: "must be between 0 and 100 (-1 = unset)", Err: ErrRange}
	}
	if h.Cgroup2 {
		return &FlagError{Flag: "memory-swappiness", Value: v, Rule: "unsupported on cgroup v2 (no memory.swappiness file)", Err: ErrUnsupported}
	}
	return nil
}

func checkOOMKillDisableV2(r *Resources, h *Host) error {
	if r.OOMKillDisable != nil && *r.OOMKillDisable && h.Cgroup2 {
		return &FlagError{Flag: "oom-kill-disable", Value: "true",
			Rule: "unsupported on cgroup v2 (no memory.oom_control); use --oom-score-adj", Err: ErrUnsupported}
	}
	return nil
}

func checkOOMScoreAdj(r *Resources, _ *Host) error {
	if r.OOMScoreAdj != nil && (*r.OOMScoreAdj < -1000 || *r.OOMScoreAdj > 1000) {
		return &FlagError{Flag: "oom-score-adj", Value: strconv.Itoa(*r.OOMScoreAdj), Rule: "must be between -1000 and 1000", Err: ErrRange}
	}
	return nil
}

func checkCPUsExclusive(r *Resources, _ *Host) error {
	if r.NanoCPUs != nil && (r.CPUPeriod != nil || r.CPUQuota != nil) {
		return &FlagError{Flag: "cpus", Value: FormatNanoCPUs(*r.NanoCPUs),
			Rule: "cannot be combined with --cpu-period or --cpu-quota", Err: ErrRange}
	}
	return nil
}

func checkCPUsHost(r *Resources, h *Host) error {
	if r.NanoCPUs == nil {
		return nil
	}
	v := FormatNanoCPUs(*r.NanoCPUs)
	if *r.NanoCPUs < nanoPerCPU/100 {
		return &FlagError{Flag: "cpus", Value: v, Rule: "must be at least 0.01", Err: ErrRange}
	}
	if h.CPUs > 0 && *r.NanoCPUs > int64(h.CPUs)*nanoPerCPU {
		return &FlagError{Flag: "cpus", Value: v, Rule: fmt.Sprintf("must be at most the host's %d CPUs", h.CPUs), Err: ErrRange}
	}
	return nil
}

func checkCPUPeriod(r *Resources, _ *Host) error {
	if r.CPUPeriod != nil && (*r.CPUPeriod < 1000 || *r.CPUPeriod > 1000000) {
		return &FlagError{Flag: "cpu-period", Value: strconv.FormatUint(*r.CPUPeriod, 10), Rule: "must be between 1000 and 1000000 (microseconds)", Err: ErrRange}
	}
	return nil
}

func checkCPUQuota(r *Resources, _ *Host) error {
	if r.CPUQuota != nil && *r.CPUQuota != -1 && *r.CPUQuota < MinCPUQuota {
		return &FlagError{Flag: "cpu-quota", Value: strconv.FormatInt(*r.CPUQuota, 10), Rule: "must be at least 1000 (microseconds), or -1 for unlimited", Err: ErrRange}
	}
	return nil
}

func checkCPUShares(r *Resources, _ *Host) error {
	if r.CPUShares != nil && (*r.CPUShares < 2 || *r.CPUShares > 262144) {
		return &FlagError{Flag: "cpu-shares", Value: strconv.FormatUint(*r.CPUShares, 10), Rule: "must be between 2 and 262144", Err: ErrRange}
	}
	return nil
}

func checkSubset(flag, list, host string) error {
	if list == "" {
		return nil
	}
	rs, err := parseCPUList(list)
	if err != nil {
		return &FlagError{Flag: flag, Value: list, Rule: err.Error(), Err: err}
	}
	if host == "" {
		return nil
	}
	hr, err := parseCPUList(host)
	if err != nil {
		return nil //nolint:nilerr // an unreadable host list disables the subset check
	}
	avail := map[int]bool{}
	for _, id := range rangeIDs(hr) {
		avail[id] = true
	}
	for _, id := range rangeIDs(rs) {
		if !avail[id] {
			return &FlagError{Flag: flag, Value: list,
				Rule: fmt.Sprintf("must be a subset of the host's %s (%d is not)", host, id), Err: ErrRange}
		}
	}
	return nil
}

func checkCpusetCpus(r *Resources, h *Host) error {
	return checkSubset("cpuset-cpus", r.CpusetCpus, h.EffectiveCpus)
}

func checkCpusetMems(r *Resources, h *Host) error {
	return checkSubset("cpuset-mems", r.CpusetMems, h.EffectiveMems)
}

func checkBlkioWeight(r *Resources, _ *Host) error {
	if r.BlkioWeight != nil && (*r.BlkioWeight < 10 || *r.BlkioWeight > 1000) {
		return &FlagError{Flag: "blkio-weight", Value: strconv.Itoa(int(*r.BlkioWeight)), Rule: "must be between 10 and 1000 (0 = unset)", Err: ErrRange}
	}
	return nil
}

func checkWeightDevices(r *Resources, _ *Host) error {
	for _, e := range r.BlkioWeightDevice {
		if e.Weight < 10 || e.Weight > 1000 {
			return &FlagError{Flag: "blkio-weight-device", Value: fmt.Sprintf("%s:%d", e.Name, e.Weight),
				Rule: "must be DEVICE:WEIGHT with WEIGHT between 10 and 1000", Err: ErrRange}
		}
	}
	return nil
}

func checkPidsLimit(r *Resources, _ *Host) error {
	if r.PidsLimit != nil && *r.PidsLimit == 0 {
		return &FlagError{Flag: "pids-limit", Value: "0", Rule: "must be positive, or -1 for unlimited", Err: ErrRange}
	}
	return nil
}
