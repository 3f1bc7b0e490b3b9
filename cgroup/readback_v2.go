package cgroup

import (
	"strconv"
	"strings"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// wantsV2 lists the v2 files of the limits r sets, with libcontainer's
// conversions (swap = memory+swap - memory, shares -> weight, blkio weight ->
// io.weight when io.bfq.weight is absent).
func wantsV2(paths Paths, r *specs.LinuxResources) []want {
	var ws []want
	add := func(res Resource, file, req string, ex func(string) string) {
		ws = append(ws, want{res: res, ctl: controllerOf(file), file: file, requested: req, extract: ex})
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			add(MemoryLimit, "memory.max", bytesV2(*m.Limit), whole)
		}
		if m.Swap != nil && *m.Swap != 0 {
			add(MemorySwap, "memory.swap.max", swapV2(*m.Swap, m.Limit), whole)
		}
		if m.Reservation != nil {
			add(MemoryReservation, "memory.low", bytesV2(*m.Reservation), whole)
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil {
			add(CPUShares, "cpu.weight", strconv.FormatUint(cgroups.ConvertCPUSharesToCgroupV2Value(*c.Shares), 10), whole)
		}
		if c.Quota != nil || c.Period != nil {
			var q int64
			var p uint64
			if c.Quota != nil {
				q = *c.Quota
			}
			if c.Period != nil {
				p = *c.Period
			}
			if p == 0 {
				p = 100000
			}
			quota := "max"
			if q > 0 {
				quota = strconv.FormatInt(q, 10)
			}
			req := quota + " " + strconv.FormatUint(p, 10)
			if c.Quota != nil {
				add(CPUQuota, "cpu.max", req, whole)
			}
			if c.Period != nil {
				add(CPUPeriod, "cpu.max", req, whole)
			}
		}
		if c.Cpus != "" {
			add(CPUSetCPUs, "cpuset.cpus", canonicalList(c.Cpus), whole)
		}
		if c.Mems != "" {
			add(CPUSetMems, "cpuset.mems", canonicalList(c.Mems), whole)
		}
	}
	if b := r.BlockIO; b != nil {
		bfq := fileIn(paths, "io", "io.bfq.weight", "io.weight") == "io.bfq.weight"
		if b.Weight != nil && *b.Weight != 0 {
			if bfq {
				add(BlockIOWeight, "io.bfq.weight", "default "+strconv.FormatUint(uint64(*b.Weight), 10), lineWith("default "))
			} else {
				add(BlockIOWeight, "io.weight", "default "+strconv.FormatUint(cgroups.ConvertBlkIOToIOWeightValue(*b.Weight), 10), lineWith("default "))
			}
		}
		for _, d := range b.WeightDevice {
			if d.Weight != nil {
				mm := majmin(d.Major, d.Minor)
				add(BlockIOWeightDev, "io.bfq.weight", mm+" "+strconv.FormatUint(uint64(*d.Weight), 10), lineWith(mm+" "))
			}
		}
		for _, t := range throttleFiles {
			for _, d := range t.of(b) {
				mm := majmin(d.Major, d.Minor)
				add(t.res, "io.max", mm+" "+t.v2+"="+strconv.FormatUint(d.Rate, 10), ioMaxKey(mm, t.v2))
			}
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		add(PidsLimit, "pids.max", pidsMax(*p.Limit), whole)
	}
	return ws
}

// swapV2 is memory.swap.max for the spec's memory+swap total: -1 -> max,
// equal to memory -> 0, else the difference (libcontainer's conversion).
func swapV2(swap int64, limit *int64) string {
	var mem int64
	if limit != nil {
		mem = *limit
	}
	v, err := cgroups.ConvertMemorySwapToCgroupV2Value(swap, mem)
	if err != nil {
		return "invalid: " + err.Error()
	}
	return bytesV2(v)
}

// ioMaxKey extracts "MAJ:MIN key=value" from io.max's line of a device.
func ioMaxKey(mm, key string) func(string) string {
	line := lineWith(mm + " ")
	return func(s string) string {
		for f := range strings.FieldsSeq(line(s)) {
			if strings.HasPrefix(f, key+"=") {
				return mm + " " + f
			}
		}
		return ""
	}
}
