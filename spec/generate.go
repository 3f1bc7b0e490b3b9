package spec

import (
	"maps"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Generate validates o and builds the OCI spec: runc's default spec shape
// (namespaces, default mounts with the read-only cgroup mount, masked and
// read-only paths), Docker's default capabilities, the process, and the
// limits. A limit not given stays nil: --memory without --memory-swap leaves
// swap unset, so the kernel's default (no memsw limit) applies, and the spec
// says exactly what the user asked for.
func Generate(o *Options) (*specs.Spec, error) {
	if o == nil {
		o = &Options{}
	}
	h := o.Host
	if h == nil {
		h = ProbeHost()
	}
	if err := Validate(&o.Resources, h); err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: or(o.RootfsPath, "rootfs"), Readonly: o.ReadonlyRootfs},
		Process:  process(o),
		Hostname: or(o.Hostname, "cgrun"),
		Mounts:   append(DefaultMounts(), o.Mounts...),
		Linux: &specs.Linux{
			CgroupsPath:   o.CgroupsPath,
			Namespaces:    defaultNamespaces(h.Cgroup2),
			MaskedPaths:   DefaultMaskedPaths(),
			ReadonlyPaths: DefaultReadonlyPaths(),
			Devices:       append([]specs.LinuxDevice(nil), o.Devices...),
			Resources:     resources(&o.Resources, h),
		},
	}
	a := maps.Clone(o.Annotations)
	if a == nil {
		a = map[string]string{}
	}
	memoryAnnotations(&o.Resources, a)
	cpuAnnotations(&o.Resources, a)
	if len(a) > 0 {
		s.Annotations = a
	}
	return s, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func process(o *Options) *specs.Process {
	caps := DefaultCapabilities()
	args := o.Args
	if len(args) == 0 {
		args = []string{"sh"}
	}
	p := &specs.Process{
		Terminal: o.Terminal,
		User:     o.User,
		Args:     append([]string(nil), args...),
		Env:      append(append([]string(nil), defaultEnv...), o.Env...),
		Cwd:      or(o.Cwd, "/"),
		Capabilities: &specs.LinuxCapabilities{
			Bounding:  caps,
			Effective: append([]string(nil), caps...),
			Permitted: append([]string(nil), caps...),
		},
		Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		NoNewPrivileges: true,
		OOMScoreAdj:     o.OOMScoreAdj,
	}
	if o.Terminal {
		p.Env = append(p.Env, "TERM=xterm")
	}
	return p
}

// resources builds the cgroup section: the device rule deny-all (runc's
// default; libcontainer adds its allowed defaults) and each limit group
// that was given.
func resources(r *Resources, h *Host) *specs.LinuxResources {
	res := &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		Memory:  memoryResources(r, h),
		CPU:     cpuResources(r),
		Pids:    pidsResources(r),
		BlockIO: blockIOResources(r),
	}
	if b := res.BlockIO; b != nil {
		for _, l := range [][]specs.LinuxThrottleDevice{b.ThrottleReadBpsDevice, b.ThrottleWriteBpsDevice, b.ThrottleReadIOPSDevice, b.ThrottleWriteIOPSDevice} {
			sort.SliceStable(l, func(i, j int) bool { return devLess(l[i].LinuxBlockIODevice, l[j].LinuxBlockIODevice) })
		}
		sort.SliceStable(b.WeightDevice, func(i, j int) bool {
			return devLess(b.WeightDevice[i].LinuxBlockIODevice, b.WeightDevice[j].LinuxBlockIODevice)
		})
	}
	return res
}

func devLess(a, b specs.LinuxBlockIODevice) bool {
	if a.Major != b.Major {
		return a.Major < b.Major
	}
	return a.Minor < b.Minor
}
