package spec

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/moby/profiles/seccomp"
	"github.com/moby/sys/capability"
	"github.com/moby/sys/devices"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Security is a container's confinement: Docker's defaults (its 14
// capabilities, its seccomp profile adjusted to them, its masked and
// read-only paths) unless changed as Docker's --privileged, --cap-add,
// --cap-drop and --security-opt change them.
type Security struct {
	// Privileged: every capability the kernel has, every host device, no
	// seccomp filter, no masked or read-only paths, /sys and the cgroup
	// mount writable.
	Privileged bool
	// CapAdd and CapDrop change the default capabilities: names as
	// CanonicalCapability writes them, or ALL.
	CapAdd, CapDrop []string
	// SeccompUnconfined runs without a seccomp filter; SeccompProfile is a
	// profile in Docker's JSON format instead of Docker's default one.
	SeccompUnconfined bool
	SeccompProfile    []byte
	// NoNewPrivileges sets the process's no_new_privs bit: setuid and file
	// capabilities grant nothing. Off by default, as in Docker and Podman:
	// setuid tools inside images (su, sudo, ping on older images) work.
	NoNewPrivileges bool
	// AppArmorProfile is the AppArmor profile to run under ("unconfined":
	// none); refused where AppArmor is not enabled.
	AppArmorProfile string
	// UnmaskSystemPaths drops the masked and read-only paths
	// (systempaths=unconfined).
	UnmaskSystemPaths bool
}

// AllCapabilities is the word for every capability in CapAdd and CapDrop.
const AllCapabilities = "ALL"

// CanonicalCapability writes a capability name as the spec holds it:
// "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" are CAP_NET_ADMIN; "all" is
// ALL. A name the capability package does not know is refused.
func CanonicalCapability(name string) (string, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if n == AllCapabilities {
		return n, nil
	}
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	if !slices.Contains(knownCapabilities(), n) {
		return "", rulef(ErrSyntax, "unknown capability: must be a name like NET_ADMIN or CAP_NET_ADMIN, or ALL")
	}
	return n, nil
}

func capName(c capability.Cap) string { return "CAP_" + strings.ToUpper(c.String()) }

func knownCapabilities() []string {
	var out []string
	for _, c := range capability.ListKnown() {
		out = append(out, capName(c))
	}
	return out
}

// hostCapabilities are the capabilities a container can be granted: those
// the running kernel has and this process's bounding set holds (a runner
// itself confined cannot grant more: Podman takes the same set for
// --privileged, where Docker would fail the start).
func hostCapabilities() []string {
	caps, err := capability.ListSupported()
	if err != nil {
		caps = capability.ListKnown()
	}
	own, err := capability.NewPid2(0)
	if err == nil {
		err = own.Load()
	}
	var out []string
	for _, c := range caps {
		if err == nil && !own.Get(capability.BOUNDING, c) {
			continue
		}
		out = append(out, capName(c))
	}
	return out
}

// capabilities applies CapAdd and CapDrop to Docker's defaults, as Docker
// does: ALL in CapAdd grants every capability but those dropped, ALL in
// CapDrop keeps only those added, otherwise the drops go first and the
// adds after; privileged grants every one.
func (sec *Security) capabilities() ([]string, error) {
	if sec.Privileged {
		return hostCapabilities(), nil
	}
	canon := func(flag string, names []string) ([]string, error) {
		out := make([]string, 0, len(names))
		for _, n := range names {
			c, err := CanonicalCapability(n)
			if err != nil {
				return nil, &FlagError{Flag: flag, Value: n, Rule: err.Error(), Err: ErrSyntax}
			}
			out = append(out, c)
		}
		return out, nil
	}
	add, err := canon("cap-add", sec.CapAdd)
	if err != nil {
		return nil, err
	}
	drop, err := canon("cap-drop", sec.CapDrop)
	if err != nil {
		return nil, err
	}
	var caps []string
	switch {
	case slices.Contains(add, AllCapabilities):
		for _, c := range hostCapabilities() {
			if !slices.Contains(drop, c) {
				caps = append(caps, c)
			}
		}
	case slices.Contains(drop, AllCapabilities):
		caps = add
	default:
		for _, c := range DefaultCapabilities() {
			if !slices.Contains(drop, c) {
				caps = append(caps, c)
			}
		}
		caps = append(caps, add...)
	}
	var out []string // without duplicates, in order
	for _, c := range caps {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// applySecurity confines spec s (its process already built) as sec says.
func applySecurity(s *specs.Spec, sec *Security, h *Host) error {
	caps, err := sec.capabilities()
	if err != nil {
		return err
	}
	p := s.Process
	p.Capabilities = &specs.LinuxCapabilities{
		Bounding:  caps,
		Effective: slices.Clone(caps),
		Permitted: slices.Clone(caps),
	}
	p.NoNewPrivileges = sec.NoNewPrivileges
	if a := sec.AppArmorProfile; a != "" && a != "unconfined" {
		if ok, why := h.AppArmorSupport(); !ok {
			return &FlagError{Flag: "security-opt", Value: "apparmor=" + a, Rule: why, Err: ErrUnsupported}
		}
		p.ApparmorProfile = a
	}
	if sec.Privileged || sec.UnmaskSystemPaths {
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	}
	if sec.Privileged {
		if err := privilege(s); err != nil {
			return err
		}
		return nil // no seccomp filter, even with a profile (as Docker)
	}
	if sec.SeccompUnconfined {
		return nil
	}
	if sec.SeccompProfile == nil && !h.Seccomp {
		return nil // a kernel without seccomp filters runs without the default one, as Docker
	}
	prof, err := seccompProfile(s, sec.SeccompProfile)
	if err != nil {
		return &FlagError{Flag: "security-opt", Value: "seccomp", Rule: err.Error(), Err: ErrSyntax}
	}
	if !h.Seccomp {
		return &FlagError{Flag: "security-opt", Value: "seccomp", Rule: SeccompUnsupported, Err: ErrUnsupported}
	}
	s.Linux.Seccomp = prof
	return nil
}

// SeccompUnsupported is why a seccomp profile cannot be applied on a
// kernel without seccomp filters (`cgrun check` says the same).
const SeccompUnsupported = "this kernel has no seccomp filters (no /proc/sys/kernel/seccomp/actions_avail)"

// seccompProfile is Docker's default profile (profile nil) or the given
// one, adjusted to the capabilities of s as Docker adjusts it: syscalls a
// granted capability needs are allowed (mount, unshare with CAP_SYS_ADMIN).
func seccompProfile(s *specs.Spec, profile []byte) (*specs.LinuxSeccomp, error) {
	if profile == nil {
		return seccomp.GetDefaultProfile(s)
	}
	p, err := seccomp.LoadProfile(string(profile), s)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if p == nil {
		return nil, fmt.Errorf("profile: it has no defaultAction and no syscalls")
	}
	return p, nil
}

// CheckSeccompProfile reports whether profile is a seccomp profile in
// Docker's JSON format that applies to Docker's default capabilities.
func CheckSeccompProfile(profile []byte) error {
	s := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: DefaultCapabilities()}}}
	_, err := seccompProfile(s, profile)
	return err
}

// privilege opens s up as Docker's --privileged: /sys and the cgroup mount
// writable, every host device present and allowed.
func privilege(s *specs.Spec) error {
	for i, m := range s.Mounts {
		if m.Type == "sysfs" || m.Type == "cgroup" {
			s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
		}
	}
	host, err := devices.HostDevices()
	if err != nil {
		return fmt.Errorf("host devices: %w", err)
	}
	have := map[string]bool{}
	for _, d := range s.Linux.Devices {
		have[d.Path] = true
	}
	for _, d := range host {
		if have[d.Path] {
			continue
		}
		mode := d.FileMode
		uid, gid := d.Uid, d.Gid
		s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{
			Path: d.Path, Type: string(d.Type), Major: d.Major, Minor: d.Minor, FileMode: &mode, UID: &uid, GID: &gid,
		})
	}
	s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	return nil
}

// AppArmorSupport says whether this host runs AppArmor, and why not.
func (h *Host) AppArmorSupport() (bool, string) {
	if h.AppArmor {
		return true, ""
	}
	return false, "AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not Y)"
}

// probeSecurity reads whether the kernel has seccomp filters and AppArmor.
func (h *Host) probeSecurity(sys, proc string) {
	_, err := os.Stat(proc + "/sys/kernel/seccomp/actions_avail")
	h.Seccomp = err == nil
	b, err := os.ReadFile(sys + "/module/apparmor/parameters/enabled")
	h.AppArmor = err == nil && strings.TrimSpace(string(b)) == "Y"
}
