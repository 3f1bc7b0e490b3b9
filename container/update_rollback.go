package container

import (
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/cgroup"
)

// Kernel defaults of limits a container may have left unset.
const (
	defaultCPUPeriod = 100000 // us, cpu.cfs_period_us and cpu.max
	defaultCPUShares = 1024   // cpu.shares (cpu.weight 100 on v2)
	defaultBlkWeight = 100    // blkio(.bfq).weight and io.bfq.weight
)

// rollbackResources is what restores the limits of old after an update to
// next failed half-way. libcontainer's Set skips what is unset (nil is
// written as nothing), so a limit next sets that old left unset would stay
// at its new value: it is filled with what the kernel held, the unlimited
// or default value, or (cpusets) the list read from the cgroup now.
// Throttles next adds are written with rate 0, which removes them.
func rollbackResources(old, next *specs.LinuxResources, paths map[string]string) *specs.LinuxResources {
	var r specs.LinuxResources
	if old != nil {
		r = *old
	}
	if next == nil {
		return &r
	}
	unlimited := func(p **int64, set bool) {
		if *p == nil && set {
			v := int64(-1)
			*p = &v
		}
	}
	if m := next.Memory; m != nil {
		mm := specs.LinuxMemory{}
		if r.Memory != nil {
			mm = *r.Memory
		}
		unlimited(&mm.Limit, m.Limit != nil)
		unlimited(&mm.Swap, m.Swap != nil || m.Limit != nil)
		if mm.Reservation == nil && m.Reservation != nil && !unified(paths) {
			v := int64(-1) // soft_limit_in_bytes; v2's memory.low 0 has no OCI value
			mm.Reservation = &v
		}
		r.Memory = &mm
	}
	if c := next.CPU; c != nil {
		cc := specs.LinuxCPU{}
		if r.CPU != nil {
			cc = *r.CPU
		}
		unlimited(&cc.Quota, c.Quota != nil || c.Period != nil)
		if cc.Period == nil && (c.Period != nil || c.Quota != nil) {
			p := uint64(defaultCPUPeriod)
			cc.Period = &p
		}
		if cc.Shares == nil && c.Shares != nil {
			s := uint64(defaultCPUShares)
			cc.Shares = &s
		}
		if cc.Cpus == "" && c.Cpus != "" {
			cc.Cpus = readCpuset(paths, "cpuset.cpus")
		}
		if cc.Mems == "" && c.Mems != "" {
			cc.Mems = readCpuset(paths, "cpuset.mems")
		}
		r.CPU = &cc
	}
	if p := next.Pids; p != nil && (r.Pids == nil || r.Pids.Limit == nil) {
		v := int64(-1)
		r.Pids = &specs.LinuxPids{Limit: &v}
	}
	if b := next.BlockIO; b != nil {
		r.BlockIO = rollbackBlockIO(r.BlockIO, b)
	}
	return &r
}

func rollbackBlockIO(old, next *specs.LinuxBlockIO) *specs.LinuxBlockIO {
	var b specs.LinuxBlockIO
	if old != nil {
		b = *old
	}
	if b.Weight == nil && next.Weight != nil {
		w := uint16(defaultBlkWeight)
		b.Weight = &w
	}
	for _, wd := range next.WeightDevice {
		if !hasDevice(b.WeightDevice, wd.LinuxBlockIODevice) {
			w := uint16(defaultBlkWeight)
			e := wd
			e.Weight = &w
			b.WeightDevice = append(b.WeightDevice, e)
		}
	}
	b.ThrottleReadBpsDevice = rollbackThrottles(b.ThrottleReadBpsDevice, next.ThrottleReadBpsDevice)
	b.ThrottleWriteBpsDevice = rollbackThrottles(b.ThrottleWriteBpsDevice, next.ThrottleWriteBpsDevice)
	b.ThrottleReadIOPSDevice = rollbackThrottles(b.ThrottleReadIOPSDevice, next.ThrottleReadIOPSDevice)
	b.ThrottleWriteIOPSDevice = rollbackThrottles(b.ThrottleWriteIOPSDevice, next.ThrottleWriteIOPSDevice)
	return &b
}

func rollbackThrottles(old, next []specs.LinuxThrottleDevice) []specs.LinuxThrottleDevice {
	out := append([]specs.LinuxThrottleDevice(nil), old...)
	for _, t := range next {
		if !hasThrottle(out, t.LinuxBlockIODevice) {
			out = append(out, specs.LinuxThrottleDevice{LinuxBlockIODevice: t.LinuxBlockIODevice, Rate: 0})
		}
	}
	return out
}

func hasDevice(l []specs.LinuxWeightDevice, d specs.LinuxBlockIODevice) bool {
	for _, e := range l {
		if e.LinuxBlockIODevice == d {
			return true
		}
	}
	return false
}

func hasThrottle(l []specs.LinuxThrottleDevice, d specs.LinuxBlockIODevice) bool {
	for _, e := range l {
		if e.LinuxBlockIODevice == d {
			return true
		}
	}
	return false
}

func unified(paths map[string]string) bool { return cgroup.Paths(paths).Unified() }

// readCpuset reads a cpuset list of the container's cgroup ("" when
// unreadable: then Set leaves the file as the failed update left it).
func readCpuset(paths map[string]string, file string) string {
	dir, err := cgroup.Paths(paths).Dir("cpuset")
	if err != nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
