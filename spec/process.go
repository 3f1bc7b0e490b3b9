package spec

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Process are the process and namespace options of Docker's run beyond
// the limits: --ulimit, --shm-size, --tmpfs, --sysctl, --init, --pid,
// --ipc, --uts, --cgroupns and --device-cgroup-rule.
type Process struct {
	// Ulimits replace the default rlimits, by type (RLIMIT_NOFILE).
	Ulimits []specs.POSIXRlimit
	// ShmSize is /dev/shm's size in bytes (0: 64 MiB, Docker's default).
	ShmSize int64
	// Tmpfs are tmpfs mounts (--tmpfs PATH[:OPTIONS]).
	Tmpfs []specs.Mount
	// Sysctls are namespaced kernel parameters (checked against the
	// namespaces: net.* needs the container's own network namespace).
	Sysctls map[string]string
	// Init is a static init binary on the host (tini, catatonit) bound at
	// InitPath and run as PID 1 before the command: it reaps zombies and
	// forwards signals ("": none).
	Init string
	// Namespaces set a namespace of the container: NamespaceHost (the
	// host's: none of its own), NamespacePrivate (its own, the default but
	// for cgroup on cgroup v1), or the path of one to join.
	Namespaces map[specs.LinuxNamespaceType]string
	// DeviceRules are extra device cgroup rules (--device-cgroup-rule).
	DeviceRules []specs.LinuxDeviceCgroup
}

// Namespace modes of Process.Namespaces besides a path.
const (
	NamespaceHost    = "host"
	NamespacePrivate = "private"
)

// InitPath is where Process.Init is bound in the container, as Docker
// binds docker-init.
const InitPath = "/sbin/docker-init"

// DefaultShmSize is /dev/shm's size unless --shm-size: Docker's 64 MiB.
const DefaultShmSize = 64 << 20

// Ulimits is the value of --ulimit NAME=SOFT[:HARD] (repeatable; -1 is
// unlimited): go-units' parser, as Docker's. A name given twice keeps the
// last.
type Ulimits struct{ List []specs.POSIXRlimit }

// Set parses one --ulimit.
func (u *Ulimits) Set(s string) error {
	ul, err := units.ParseUlimit(s)
	if err != nil {
		return rulef(ErrSyntax, "must be NAME=SOFT[:HARD] with NAME one of core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack (%v)", err)
	}
	rl := specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(ul.Name), Soft: uint64(ul.Soft), Hard: uint64(ul.Hard)}
	u.List = slices.DeleteFunc(u.List, func(o specs.POSIXRlimit) bool { return o.Type == rl.Type })
	u.List = append(u.List, rl)
	return nil
}

// String writes the list as given.
func (u *Ulimits) String() string {
	if u == nil {
		return ""
	}
	parts := make([]string, len(u.List))
	for i, rl := range u.List {
		parts[i] = fmt.Sprintf("%s=%d:%d", strings.ToLower(strings.TrimPrefix(rl.Type, "RLIMIT_")), int64(rl.Soft), int64(rl.Hard))
	}
	return strings.Join(parts, ",")
}

// DefaultRlimits are the rlimits a container gets unless --ulimit changes
// them: open files as many as the runner itself may have (its hard limit,
// for both soft and hard: databases need more than Linux's default 1024
// soft limit, and a process cannot grant above its own hard limit without
// CAP_SYS_RESOURCE). The rest are inherited from the runner, as under runc.
func DefaultRlimits() []specs.POSIXRlimit {
	var rl unix.Rlimit
	n := uint64(1048576) // Podman's default, when the runner's cannot be read
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil {
		n = rl.Max
	}
	return []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: n, Hard: n}}
}

// ParseTmpfs reads --tmpfs PATH[:OPTIONS] (options comma-separated, as
// mount(8) takes them): a tmpfs mount, noexec, nosuid and nodev unless the
// options say exec, suid or dev, as Docker's.
func ParseTmpfs(s string) (specs.Mount, error) {
	dst, opts, _ := strings.Cut(s, ":")
	if !path.IsAbs(dst) || path.Clean(dst) == "/" {
		return specs.Mount{}, rulef(ErrSyntax, "must be PATH[:OPTIONS] with PATH absolute and not /")
	}
	options := []string{"noexec", "nosuid", "nodev"}
	for _, o := range strings.Split(opts, ",") {
		switch {
		case o == "":
		case o == "exec" || o == "suid" || o == "dev":
			options = slices.DeleteFunc(options, func(x string) bool { return x == "no"+o })
		case o == "ro" || o == "rw" || o == "noexec" || o == "nosuid" || o == "nodev" || o == "noatime" || o == "relatime" || o == "strictatime":
			if !slices.Contains(options, o) {
				options = append(options, o)
			}
		case strings.HasPrefix(o, "size="), strings.HasPrefix(o, "mode="), strings.HasPrefix(o, "uid="),
			strings.HasPrefix(o, "gid="), strings.HasPrefix(o, "nr_inodes="), strings.HasPrefix(o, "nr_blocks="):
			if _, v, _ := strings.Cut(o, "="); v == "" {
				return specs.Mount{}, rulef(ErrSyntax, "option %q has no value", o)
			}
			options = append(options, o)
		default:
			return specs.Mount{}, rulef(ErrSyntax, "option %q: must be one of ro, rw, exec, noexec, suid, nosuid, dev, nodev, size=, mode=, uid=, gid=, nr_inodes=", o)
		}
	}
	return specs.Mount{Destination: path.Clean(dst), Type: "tmpfs", Source: "tmpfs", Options: options}, nil
}

// ipcSysctls are the kernel parameters of the IPC namespace Docker takes.
var ipcSysctls = []string{"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"}

// SysctlNamespace names the namespace a kernel parameter belongs to, as
// Docker validates them: the IPC ones and fs.mqueue.* (IPC), net.*
// (network), kernel.domainname and kernel.hostname (UTS); "" for any other,
// which is not namespaced and refused.
func SysctlNamespace(key string) specs.LinuxNamespaceType {
	switch {
	case slices.Contains(ipcSysctls, key), strings.HasPrefix(key, "fs.mqueue."):
		return specs.IPCNamespace
	case strings.HasPrefix(key, "net."):
		return specs.NetworkNamespace
	case key == "kernel.domainname" || key == "kernel.hostname":
		return specs.UTSNamespace
	}
	return ""
}

// ParseSysctl reads --sysctl KEY=VALUE with a namespaced KEY.
func ParseSysctl(s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", rulef(ErrSyntax, "must be KEY=VALUE")
	}
	if SysctlNamespace(k) == "" {
		return "", "", rulef(ErrUnsupported, "%s is not namespaced: only the IPC (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*), network (net.*) and UTS (kernel.domainname, kernel.hostname) parameters are", k)
	}
	return k, v, nil
}

// ParseDeviceCgroupRule reads --device-cgroup-rule 'TYPE MAJOR:MINOR
// ACCESS' (TYPE a, b or c; MAJOR and MINOR a number or *; ACCESS letters
// of rwm), an allow rule as Docker's.
func ParseDeviceCgroupRule(s string) (specs.LinuxDeviceCgroup, error) {
	bad := rulef(ErrSyntax, "must be 'TYPE MAJOR:MINOR ACCESS', e.g. 'c 1:3 rwm' or 'b *:* r'")
	f := strings.Fields(s)
	if len(f) != 3 || (f[0] != "a" && f[0] != "b" && f[0] != "c") || f[2] == "" || strings.Trim(f[2], "rwm") != "" {
		return specs.LinuxDeviceCgroup{}, bad
	}
	maj, min, ok := strings.Cut(f[1], ":")
	if !ok {
		return specs.LinuxDeviceCgroup{}, bad
	}
	num := func(x string) (*int64, bool) {
		if x == "*" {
			return nil, true
		}
		n, err := strconv.ParseInt(x, 10, 64)
		return &n, err == nil && n >= 0
	}
	r := specs.LinuxDeviceCgroup{Allow: true, Type: f[0], Access: f[2]}
	if r.Major, ok = num(maj); !ok {
		return specs.LinuxDeviceCgroup{}, bad
	}
	if r.Minor, ok = num(min); !ok {
		return specs.LinuxDeviceCgroup{}, bad
	}
	return r, nil
}

// applyProcess applies o.Process to s (its process and limits built).
func applyProcess(s *specs.Spec, o *Options) error {
	p := &o.Process
	s.Process.Rlimits = DefaultRlimits()
	for _, u := range p.Ulimits {
		s.Process.Rlimits = slices.DeleteFunc(s.Process.Rlimits, func(o specs.POSIXRlimit) bool { return o.Type == u.Type })
		s.Process.Rlimits = append(s.Process.Rlimits, u)
	}
	if p.ShmSize < 0 {
		return &FlagError{Flag: "shm-size", Value: strconv.FormatInt(p.ShmSize, 10), Rule: "must be positive", Err: ErrRange}
	}
	shm := p.ShmSize
	if shm == 0 {
		shm = DefaultShmSize
	}
	for i, m := range s.Mounts {
		if m.Destination == "/dev/shm" {
			s.Mounts[i].Options = append(slices.DeleteFunc(slices.Clone(m.Options), func(x string) bool { return strings.HasPrefix(x, "size=") }),
				"size="+strconv.FormatInt(shm/1024, 10)+"k")
		}
	}
	s.Mounts = append(s.Mounts, p.Tmpfs...)
	for _, t := range []specs.LinuxNamespaceType{specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace} {
		if mode, ok := p.Namespaces[t]; ok {
			if err := setNamespace(s, t, mode); err != nil {
				return err
			}
		}
	}
	if !hasNamespace(s, specs.UTSNamespace) {
		s.Hostname = "" // the host's, or another container's: not this one's to set
	}
	for t := range p.Namespaces {
		switch t {
		case specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace:
		default:
			return &FlagError{Flag: NamespaceFlag(t), Value: p.Namespaces[t], Rule: "only the pid, ipc, uts and cgroup namespaces are chosen here", Err: ErrUnsupported}
		}
	}
	if len(p.Sysctls) > 0 {
		s.Linux.Sysctl = map[string]string{}
		for k, v := range p.Sysctls {
			ns := SysctlNamespace(k)
			if ns == "" || !hasNamespace(s, ns) {
				return &FlagError{Flag: "sysctl", Value: k + "=" + v, Err: ErrUnsupported,
					Rule: fmt.Sprintf("the container shares the %s namespace of another (host or container:), where it cannot set it", ns)}
			}
			s.Linux.Sysctl[k] = v
		}
	}
	s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, p.DeviceRules...)
	if p.Init != "" {
		s.Process.Args = append([]string{InitPath, "--"}, s.Process.Args...)
		s.Mounts = append(s.Mounts, specs.Mount{Destination: InitPath, Type: "bind", Source: p.Init, Options: []string{"rbind", "ro", "rprivate"}})
	}
	return nil
}

// setNamespace applies one namespace mode.
func setNamespace(s *specs.Spec, t specs.LinuxNamespaceType, mode string) error {
	without := slices.DeleteFunc(slices.Clone(s.Linux.Namespaces), func(n specs.LinuxNamespace) bool { return n.Type == t })
	switch {
	case mode == "" || mode == NamespacePrivate:
		if !hasNamespace(s, t) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t})
		}
	case mode == NamespaceHost:
		s.Linux.Namespaces = without
	case path.IsAbs(mode):
		s.Linux.Namespaces = append(without, specs.LinuxNamespace{Type: t, Path: mode})
	default:
		return &FlagError{Flag: NamespaceFlag(t), Value: mode, Rule: "must be host, private, or a namespace path", Err: ErrSyntax}
	}
	return nil
}

// NamespaceFlag is Docker's flag for a namespace type: --pid, --ipc,
// --uts, --cgroupns.
func NamespaceFlag(t specs.LinuxNamespaceType) string {
	if t == specs.CgroupNamespace {
		return "cgroupns"
	}
	return string(t)
}

// hasNamespace reports whether s creates or joins namespace t.
func hasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	return slices.ContainsFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == t && n.Path == "" })
}
