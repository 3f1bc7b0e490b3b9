// Package spec turns cgrun's options into an OCI runtime spec, the single
// source of truth that libcontainer (and cgrun's cgroup package for the
// extension knobs) applies. It knows nothing of the command line: typed flag
// values (Set/String, validated at parse time) fill an Options, and Generate
// validates the cross-flag rules and builds the spec.
package spec

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Resources are the limit options. A nil field is a limit not given and
// stays nil in the spec; zero is a value.
type Resources struct {
	Memory            *int64  // bytes, >= MinMemory
	MemorySwap        *int64  // memory+swap in bytes, >= Memory, or -1 for unlimited
	MemoryReservation *int64  // soft limit in bytes, <= Memory
	MemorySwappiness  *uint64 // 0..100
	// Knobs are Alibaba-kernel files (Knobs) by file name, carried as
	// annotations (KnobAnnotationPrefix + file).
	Knobs          map[string]int64
	OOMKillDisable *bool
	OOMScoreAdj    *int // -1000..1000, goes to process.oomScoreAdj

	CPUPeriod *uint64 // microseconds, 1000..1000000
	CPUQuota  *int64  // microseconds, >= 1000, or -1 for unlimited
	NanoCPUs  *int64  // --cpus x 1e9; excludes CPUPeriod and CPUQuota
	CPUShares *uint64 // 2..262144
	// CPURealtimeRuntime and CPURealtimePeriod are the cgroup's real-time
	// budget (us per period; cgroup v1 only).
	CPURealtimeRuntime *int64
	CPURealtimePeriod  *uint64
	CpusetCpus         string // canonical list, "" = not given
	CpusetMems         string // canonical list, "" = not given

	BlkioWeight       *uint16 // 10..1000
	BlkioWeightDevice []WeightDevice
	DeviceReadBps     []ThrottleDevice
	DeviceWriteBps    []ThrottleDevice
	DeviceReadIOps    []ThrottleDevice
	DeviceWriteIOps   []ThrottleDevice

	PidsLimit *int64 // > 0, or -1 for unlimited
}

// Options are everything Generate needs: the limits and the process and
// root filesystem of the container.
type Options struct {
	Resources

	Args     []string // process argv; default ["sh"]
	Env      []string // appended to the default PATH and TERM
	Cwd      string   // default "/"
	User     specs.User
	Hostname string // default "cgrun"
	Terminal bool

	RootfsPath     string // default "rootfs" (relative to the bundle)
	ReadonlyRootfs bool

	Mounts  []specs.Mount       // appended after the default mounts
	Devices []specs.LinuxDevice // extra device nodes

	CgroupsPath string            // e.g. "/cgrun/ID"; "" lets the runtime choose
	Annotations map[string]string // extra annotations

	// Security is the confinement; its zero value is Docker's default.
	Security Security
	// Process are the process and namespace options (rlimits, /dev/shm,
	// tmpfs, sysctls, init, shared namespaces, device rules).
	Process Process

	// Host is the machine the limits are checked against (CPU count,
	// effective cpusets, cgroup version). nil probes the running host.
	Host *Host
}
