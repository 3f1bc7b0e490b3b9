package cgroup

import (
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Resource names one limit by where the OCI runtime spec carries it: the
// field under linux.resources ("memory.limit", "blockIO.weightDevice"), or,
// for an extension knob, its annotation key (AnnotationPrefix + the cgroup
// file). The package speaks of limits only in these terms; a command line
// maps them to its own flag names.
type Resource string

// The resources the package checks, writes and reads back, in the order
// Host.Support lists them.
const (
	MemoryLimit        Resource = "memory.limit"
	MemorySwap         Resource = "memory.swap"
	MemoryReservation  Resource = "memory.reservation"
	MemorySwappiness   Resource = "memory.swappiness"
	MemoryDisableOOM   Resource = "memory.disableOOMKiller"
	CPUPeriod          Resource = "cpu.period"
	CPUQuota           Resource = "cpu.quota"
	CPUShares          Resource = "cpu.shares"
	CPURealtimeRuntime Resource = "cpu.realtimeRuntime"
	CPURealtimePeriod  Resource = "cpu.realtimePeriod"
	CPUSetCPUs         Resource = "cpu.cpus"
	CPUSetMems         Resource = "cpu.mems"
	BlockIOWeight      Resource = "blockIO.weight"
	BlockIOWeightDev   Resource = "blockIO.weightDevice"
	ThrottleReadBps    Resource = "blockIO.throttleReadBpsDevice"
	ThrottleWriteBps   Resource = "blockIO.throttleWriteBpsDevice"
	ThrottleReadIOPS   Resource = "blockIO.throttleReadIOPSDevice"
	ThrottleWriteIOPS  Resource = "blockIO.throttleWriteIOPSDevice"
	PidsLimit          Resource = "pids.limit"
)

// KnobResource is the resource of an extension knob: its annotation key.
func KnobResource(file string) Resource { return Resource(AnnotationPrefix + file) }

// Knob returns the cgroup file of an extension knob's resource.
func (r Resource) Knob() (file string, ok bool) {
	return strings.CutPrefix(string(r), AnnotationPrefix)
}

// throttleFiles are the four throttle resources with their v1 file (under
// blkio.throttle.) and v2 io.max key, and the spec entries of each.
var throttleFiles = []struct {
	res    Resource
	v1, v2 string
	of     func(*specs.LinuxBlockIO) []specs.LinuxThrottleDevice
}{
	{ThrottleReadBps, "read_bps_device", "rbps", func(b *specs.LinuxBlockIO) []specs.LinuxThrottleDevice { return b.ThrottleReadBpsDevice }},
	{ThrottleWriteBps, "write_bps_device", "wbps", func(b *specs.LinuxBlockIO) []specs.LinuxThrottleDevice { return b.ThrottleWriteBpsDevice }},
	{ThrottleReadIOPS, "read_iops_device", "riops", func(b *specs.LinuxBlockIO) []specs.LinuxThrottleDevice { return b.ThrottleReadIOPSDevice }},
	{ThrottleWriteIOPS, "write_iops_device", "wiops", func(b *specs.LinuxBlockIO) []specs.LinuxThrottleDevice { return b.ThrottleWriteIOPSDevice }},
}
