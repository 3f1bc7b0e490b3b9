package spec

import (
	"errors"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// seccompHost is v1Host with seccomp filters and without AppArmor.
var seccompHost = &Host{CPUs: 2, EffectiveCpus: "0-1", EffectiveMems: "0", Seccomp: true}

func allowed(p *specs.LinuxSeccomp, name string) bool {
	for _, sc := range p.Syscalls {
		if sc.Action == specs.ActAllow && slices.Contains(sc.Names, name) && len(sc.Args) == 0 {
			return true
		}
	}
	return false
}

func TestDefaultConfinementIsDockers(t *testing.T) {
	t.Parallel()
	s, err := Generate(&Options{Host: seccompHost})
	require.NoError(t, err)
	require.Equal(t, DefaultCapabilities(), s.Process.Capabilities.Bounding)
	require.Equal(t, DefaultCapabilities(), s.Process.Capabilities.Effective)
	require.False(t, s.Process.NoNewPrivileges, "Docker's and Podman's default: setuid tools work")
	p := s.Linux.Seccomp
	require.NotNil(t, p, "Docker's default profile")
	require.Equal(t, specs.ActErrno, p.DefaultAction)
	require.True(t, allowed(p, "read"))
	for _, refused := range []string{"mount", "unshare", "keyctl", "add_key", "clock_settime", "reboot", "kexec_load"} {
		require.False(t, allowed(p, refused), "%s allowed by default", refused)
	}
	require.Contains(t, s.Linux.MaskedPaths, "/proc/kcore")

	// a kernel without seccomp filters gets no default profile, as in Docker
	s, err = Generate(&Options{Host: &Host{CPUs: 2}})
	require.NoError(t, err)
	require.Nil(t, s.Linux.Seccomp)
}

func TestSeccompFollowsCapabilities(t *testing.T) {
	t.Parallel()
	s, err := Generate(&Options{Host: seccompHost, Security: Security{CapAdd: []string{"sys_admin"}}})
	require.NoError(t, err)
	require.Contains(t, s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN")
	require.True(t, allowed(s.Linux.Seccomp, "mount"), "CAP_SYS_ADMIN allows mount, as Docker's profile does")
	require.True(t, allowed(s.Linux.Seccomp, "unshare"))
	require.False(t, allowed(s.Linux.Seccomp, "keyctl"), "keyctl stays refused whatever the capabilities")
}

func TestCapAddDrop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		add, drop []string
		has       []string
		hasNot    []string
		n         int // exact count, -1: any
	}{
		{"drop all, add one", []string{"NET_ADMIN"}, []string{"ALL"}, []string{"CAP_NET_ADMIN"}, []string{"CAP_CHOWN"}, 1},
		{"drop one", nil, []string{"cap_chown"}, []string{"CAP_KILL"}, []string{"CAP_CHOWN"}, 13},
		{"add one", []string{"CAP_NET_ADMIN"}, nil, []string{"CAP_NET_ADMIN", "CAP_CHOWN"}, nil, 15},
		{"add all but one", []string{"all"}, []string{"SYS_ADMIN"}, []string{"CAP_NET_ADMIN", "CAP_SYS_PTRACE"}, []string{"CAP_SYS_ADMIN"}, -1},
		{"add a default again", []string{"CHOWN"}, nil, []string{"CAP_CHOWN"}, nil, 14},
	} {
		sec := Security{CapAdd: tc.add, CapDrop: tc.drop}
		caps, err := sec.capabilities()
		require.NoError(t, err, tc.name)
		for _, c := range tc.has {
			require.Contains(t, caps, c, tc.name)
		}
		for _, c := range tc.hasNot {
			require.NotContains(t, caps, c, tc.name)
		}
		if tc.n >= 0 {
			require.Len(t, caps, tc.n, tc.name)
		}
	}
	_, err := Generate(&Options{Host: seccompHost, Security: Security{CapAdd: []string{"CAP_BOGUS"}}})
	var fe *FlagError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, `invalid --cap-add "CAP_BOGUS": unknown capability: must be a name like NET_ADMIN or CAP_NET_ADMIN, or ALL`, err.Error())
	for in, want := range map[string]string{"net_admin": "CAP_NET_ADMIN", "CAP_SYS_TIME": "CAP_SYS_TIME", " all ": "ALL"} {
		got, err := CanonicalCapability(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

func TestPrivileged(t *testing.T) {
	t.Parallel()
	s, err := Generate(&Options{Host: seccompHost, Security: Security{Privileged: true, SeccompProfile: []byte(`{"defaultAction":"SCMP_ACT_ERRNO"}`)}})
	require.NoError(t, err)
	require.Nil(t, s.Linux.Seccomp, "no filter, even with a profile (as Docker)")
	require.Nil(t, s.Linux.MaskedPaths)
	require.Nil(t, s.Linux.ReadonlyPaths)
	require.Contains(t, s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN")
	require.Greater(t, len(s.Process.Capabilities.Bounding), 30)
	for _, m := range s.Mounts {
		if m.Type == "sysfs" || m.Type == "cgroup" {
			require.NotContains(t, m.Options, "ro", m.Destination)
		}
	}
	require.True(t, slices.ContainsFunc(s.Linux.Devices, func(d specs.LinuxDevice) bool { return d.Path == "/dev/null" }), "host devices")
	require.Equal(t, []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, s.Linux.Resources.Devices)
}

func TestSecurityOptions(t *testing.T) {
	t.Parallel()
	s, err := Generate(&Options{Host: seccompHost, Security: Security{SeccompUnconfined: true, NoNewPrivileges: true, UnmaskSystemPaths: true}})
	require.NoError(t, err)
	require.Nil(t, s.Linux.Seccomp)
	require.True(t, s.Process.NoNewPrivileges)
	require.Nil(t, s.Linux.MaskedPaths)
	require.Equal(t, DefaultCapabilities(), s.Process.Capabilities.Bounding)

	prof := []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}`)
	s, err = Generate(&Options{Host: seccompHost, Security: Security{SeccompProfile: prof}})
	require.NoError(t, err)
	require.Equal(t, specs.ActAllow, s.Linux.Seccomp.DefaultAction)
	require.Equal(t, []string{"mkdir"}, s.Linux.Seccomp.Syscalls[0].Names)

	for _, bad := range []string{`{bad`, `{}`, `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}`} {
		require.Error(t, CheckSeccompProfile([]byte(bad)), bad)
	}
	require.NoError(t, CheckSeccompProfile(prof))

	_, err = Generate(&Options{Host: seccompHost, Security: Security{AppArmorProfile: "docker-default"}})
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, `invalid --security-opt "apparmor=docker-default": AppArmor is not enabled`)
	s, err = Generate(&Options{Host: &Host{AppArmor: true}, Security: Security{AppArmorProfile: "docker-default"}})
	require.NoError(t, err)
	require.Equal(t, "docker-default", s.Process.ApparmorProfile)
	_, err = Generate(&Options{Host: seccompHost, Security: Security{AppArmorProfile: "unconfined"}})
	require.NoError(t, err, "unconfined needs no AppArmor")

	_, err = Generate(&Options{Host: &Host{}, Security: Security{SeccompProfile: prof}})
	require.True(t, errors.Is(err, ErrUnsupported), "a profile on a kernel without filters: %v", err)
}
