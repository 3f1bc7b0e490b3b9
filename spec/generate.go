package spec

import (
	"maps"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Generate validates o and builds the OCI spec: runc's default spec shape
// (namespaces, default mounts with the read-only cgroup mount, masked and
// read-only paths), the process, the limits, and the confinement: Docker's
// default capabilities and seccomp profile unless o.Security changes them. A limit not given stays nil: --memory without --memory-swap leaves
// swap unset, so the kernel's default (no memsw limit) applies, and the spec
// says exactly what the user asked for.
func Generate(o *Options) (*specs.Spec, error) {
	if o == nil {
		o = &Options{}
	}
	if err := ValidHostname(o.Hostname); err != nil {
		return nil, err
	}
	if o.CgroupsPath != "" && !strings.HasPrefix(o.CgroupsPath, "/") {
		return nil, &FlagError{Flag: "cgroups-path", Value: o.CgroupsPath, Rule: "must be an absolute cgroup path", Err: ErrSyntax}
	}
	h := o.Host
	if h == nil {
		h = ProbeHost()
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
			// runc's default device rule, deny-all (libcontainer adds its
			// allowed defaults); the limits are merged below
			Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
		},
	}
	if len(o.Annotations) > 0 {
		s.Annotations = maps.Clone(o.Annotations)
	}
	if err := Merge(s, &o.Resources, h); err != nil {
		return nil, err
	}
	if err := applyProcess(s, o); err != nil {
		return nil, err
	}
	if err := applySecurity(s, &o.Security, h); err != nil {
		return nil, err
	}
	return s, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// process is the spec's process; applySecurity sets its capabilities and
// no_new_privs.
func process(o *Options) *specs.Process {
	args := o.Args
	if len(args) == 0 {
		args = []string{"sh"}
	}
	p := &specs.Process{
		Terminal:    o.Terminal,
		User:        o.User,
		Args:        append([]string(nil), args...),
		Env:         append(append([]string(nil), defaultEnv...), o.Env...),
		Cwd:         or(o.Cwd, "/"),
		OOMScoreAdj: o.OOMScoreAdj,
	}
	if o.Terminal {
		p.Env = append(p.Env, "TERM=xterm")
	}
	return p
}

// ValidHostname checks a container's host name: empty (the default), or
// 1 to 64 bytes (the kernel's limit) of letters, digits, '-' and '.',
// dot-separated labels that do not start or end with '-' (RFC 1123).
func ValidHostname(h string) error {
	if h == "" {
		return nil
	}
	bad := len(h) > 64
	for _, label := range strings.Split(h, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			bad = true
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				bad = true
			}
		}
	}
	if bad {
		return &FlagError{Flag: "hostname", Value: h, Rule: "must be 1 to 64 letters, digits, '-' and '.' in labels that do not start or end with '-' (RFC 1123)", Err: ErrSyntax}
	}
	return nil
}
