package main

import (
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/spec"
)

// Resource flag names (Docker's and PouchContainer's; -m and -c as short forms).
const (
	flagMemory            = "memory"
	flagMemorySwap        = "memory-swap"
	flagMemoryReservation = "memory-reservation"
	flagMemorySwappiness  = "memory-swappiness"
	flagKernelMemory      = "kernel-memory"
	flagOOMKillDisable    = "oom-kill-disable"
	flagOOMScoreAdj       = "oom-score-adj"
	flagCPUPeriod         = "cpu-period"
	flagCPUQuota          = "cpu-quota"
	flagCPUs              = "cpus"
	flagCPUShares         = "cpu-shares"
	flagCpusetCpus        = "cpuset-cpus"
	flagCpusetMems        = "cpuset-mems"
	flagBlkioWeight       = "blkio-weight"
	flagBlkioWeightDevice = "blkio-weight-device"
	flagDeviceReadBps     = "device-read-bps"
	flagDeviceWriteBps    = "device-write-bps"
	flagDeviceReadIOps    = "device-read-iops"
	flagDeviceWriteIOps   = "device-write-iops"
	flagPidsLimit         = "pids-limit"
	flagCPURtRuntime      = "cpu-rt-runtime"
	flagCPURtPeriod       = "cpu-rt-period"
)

const catResources = "Resource limits"

// resourceFlags are the limit flags shared by run, spec and update. Each call
// makes fresh values, so every app (and every test case) parses on its own.
func resourceFlags() []cli.Flag { return resourceFlagsWith(spec.PathResolver) }

// resourceFlagsWith is resourceFlags with the resolver that turns the DEVICE
// of DEVICE:RATE and DEVICE:WEIGHT into major:minor (a caller that knows
// volume names injects one that also resolves those).
func resourceFlagsWith(r spec.DeviceResolver) []cli.Flag {
	g := func(name string, aliases []string, v cli.Generic, usage string) cli.Flag {
		return &cli.GenericFlag{Name: name, Aliases: aliases, Value: v, Usage: usage, Category: catResources}
	}
	return append([]cli.Flag{
		g(flagMemory, []string{"m"}, spec.NewMemory(), "memory limit (e.g. 100m; at least 4m)"),
		g(flagMemorySwap, nil, spec.NewMemorySwap(), "memory plus swap limit, >= --memory, -1 unlimited (not given: unset)"),
		g(flagMemoryReservation, nil, spec.NewMemoryReservation(), "memory soft limit, at most --memory"),
		g(flagMemorySwappiness, nil, spec.NewMemorySwappiness(), "swappiness 0..100 (-1 = unset; cgroup v1 only)"),
		g(flagKernelMemory, nil, spec.NewKernelMemory(), "unsupported (kernel memory limits are deprecated)"),
		&cli.BoolFlag{Name: flagOOMKillDisable, Usage: "disable the OOM killer (cgroup v1 only)", Category: catResources},
		g(flagOOMScoreAdj, nil, spec.NewOOMScoreAdj(), "OOM score adjustment -1000..1000"),
		g(flagCPUPeriod, nil, spec.NewCPUPeriod(), "CFS period in microseconds, 1000..1000000"),
		g(flagCPUQuota, nil, spec.NewCPUQuota(), "CFS quota in microseconds, >= 1000 or -1"),
		g(flagCPUs, nil, &spec.CPUs{}, "number of CPUs (e.g. 1.5); excludes --cpu-period/--cpu-quota"),
		g(flagCPUShares, []string{"c"}, spec.NewCPUShares(), "CPU shares (relative weight) 2..262144"),
		g(flagCPURtRuntime, nil, spec.NewCPURealtimeRuntime(), "real-time runtime in microseconds per --cpu-rt-period (cgroup v1)"),
		g(flagCPURtPeriod, nil, spec.NewCPURealtimePeriod(), "real-time period in microseconds (cgroup v1)"),
		g(flagCpusetCpus, nil, &spec.CPUSet{}, "CPUs allowed, e.g. 0-3,5"),
		g(flagCpusetMems, nil, &spec.CPUSet{}, "memory nodes allowed, e.g. 0"),
		g(flagBlkioWeight, nil, spec.NewBlkioWeight(), "block IO weight 10..1000 (acts under bfq only)"),
		g(flagBlkioWeightDevice, nil, &spec.WeightDevices{Resolver: r}, "per-device weight DEVICE:WEIGHT (repeatable)"),
		g(flagDeviceReadBps, nil, &spec.ThrottleDevices{Unit: spec.BytesPerSecond, Resolver: r}, "read rate DEVICE:RATE, e.g. /dev/sda:1mb (repeatable)"),
		g(flagDeviceWriteBps, nil, &spec.ThrottleDevices{Unit: spec.BytesPerSecond, Resolver: r}, "write rate DEVICE:RATE (repeatable)"),
		g(flagDeviceReadIOps, nil, &spec.ThrottleDevices{Unit: spec.IOPerSecond, Resolver: r}, "read IO/s DEVICE:IOPS (repeatable)"),
		g(flagDeviceWriteIOps, nil, &spec.ThrottleDevices{Unit: spec.IOPerSecond, Resolver: r}, "write IO/s DEVICE:IOPS (repeatable)"),
		g(flagPidsLimit, nil, spec.NewPidsLimit(), "process limit (<= 0 = unlimited)"),
	}, knobFlagList()...)
}

// knobFlagList is a flag per Alibaba-kernel knob (spec.Knobs).
func knobFlagList() []cli.Flag {
	var out []cli.Flag
	for _, k := range spec.Knobs {
		out = append(out, &cli.GenericFlag{Name: k.Flag, Value: k.KnobValue(), Usage: k.Usage, Category: catResources})
	}
	return out
}

// resourceOptions copies the resource flags given on c into r. Values were
// validated by their Set at parse time; the cross-flag rules run in
// spec.Merge (through spec.Generate, or an update).
func resourceOptions(c *cli.Context, r *spec.Resources) error {
	if n, ok := bytesOf(c, flagMemory); ok {
		r.Memory = &n
	}
	if n, ok := bytesOf(c, flagMemorySwap); ok {
		r.MemorySwap = &n
	}
	if n, ok := bytesOf(c, flagMemoryReservation); ok {
		r.MemoryReservation = &n
	}
	if n, ok := intOf(c, flagMemorySwappiness); ok {
		u := uint64(n)
		r.MemorySwappiness = &u
	}
	for _, k := range spec.Knobs {
		if n, ok := intOf(c, k.Flag); ok {
			if r.Knobs == nil {
				r.Knobs = map[string]int64{}
			}
			r.Knobs[k.File] = n
		}
	}
	if c.IsSet(flagOOMKillDisable) {
		b := c.Bool(flagOOMKillDisable)
		r.OOMKillDisable = &b
	}
	if n, ok := intOf(c, flagOOMScoreAdj); ok {
		i := int(n)
		r.OOMScoreAdj = &i
	}
	if n, ok := intOf(c, flagCPUPeriod); ok {
		u := uint64(n)
		r.CPUPeriod = &u
	}
	if n, ok := intOf(c, flagCPUQuota); ok {
		r.CPUQuota = &n
	}
	if v, ok := c.Generic(flagCPUs).(*spec.CPUs); ok {
		if n, set := v.Value(); set {
			r.NanoCPUs = &n
		}
	}
	if n, ok := intOf(c, flagCPURtRuntime); ok {
		r.CPURealtimeRuntime = &n
	}
	if n, ok := intOf(c, flagCPURtPeriod); ok {
		u := uint64(n)
		r.CPURealtimePeriod = &u
	}
	if n, ok := intOf(c, flagCPUShares); ok {
		u := uint64(n)
		r.CPUShares = &u
	}
	if v, ok := c.Generic(flagCpusetCpus).(*spec.CPUSet); ok {
		r.CpusetCpus = v.String()
	}
	if v, ok := c.Generic(flagCpusetMems).(*spec.CPUSet); ok {
		r.CpusetMems = v.String()
	}
	if n, ok := intOf(c, flagBlkioWeight); ok {
		w := uint16(n)
		r.BlkioWeight = &w
	}
	if v, ok := c.Generic(flagBlkioWeightDevice).(*spec.WeightDevices); ok {
		r.BlkioWeightDevice = v.List
	}
	r.DeviceReadBps = throttlesOf(c, flagDeviceReadBps)
	r.DeviceWriteBps = throttlesOf(c, flagDeviceWriteBps)
	r.DeviceReadIOps = throttlesOf(c, flagDeviceReadIOps)
	r.DeviceWriteIOps = throttlesOf(c, flagDeviceWriteIOps)
	if n, ok := intOf(c, flagPidsLimit); ok {
		p := spec.PidsLimit(n)
		r.PidsLimit = &p
	}
	return nil
}

func bytesOf(c *cli.Context, name string) (int64, bool) {
	if v, ok := c.Generic(name).(*spec.Bytes); ok {
		return v.Value()
	}
	return 0, false
}

func intOf(c *cli.Context, name string) (int64, bool) {
	if v, ok := c.Generic(name).(*spec.Int); ok {
		return v.Value()
	}
	return 0, false
}

func throttlesOf(c *cli.Context, name string) []spec.ThrottleDevice {
	if v, ok := c.Generic(name).(*spec.ThrottleDevices); ok {
		return v.List
	}
	return nil
}
