package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/spec"
)

// spec prints the confinement run applies: Docker's default profile, the
// capabilities as added and dropped, the options of --security-opt.
func TestSpecConfinementFlags(t *testing.T) {
	s := specOf(t, "--cap-drop", "ALL", "--cap-add", "net_admin", "--security-opt", "no-new-privileges")
	require.Equal(t, []string{"CAP_NET_ADMIN"}, s.Process.Capabilities.Bounding)
	require.True(t, s.Process.NoNewPrivileges)
	if spec.ProbeHost().Seccomp {
		require.NotNil(t, specOf(t).Linux.Seccomp, "the default profile")
	}
	require.Nil(t, specOf(t, "--security-opt", "seccomp=unconfined").Linux.Seccomp)
	require.Nil(t, specOf(t, "--privileged").Linux.Seccomp)
	require.False(t, specOf(t, "--security-opt", "no-new-privileges=false").Process.NoNewPrivileges)
	require.Nil(t, specOf(t, "--security-opt", "systempaths=unconfined").Linux.MaskedPaths)
	require.Nil(t, specOf(t, "--security-opt", "seccomp:unconfined").Linux.Seccomp, "Docker's older KEY:VALUE form")

	prof := filepath.Join(t.TempDir(), "p.json")
	require.NoError(t, os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}`), 0o600))
	if spec.ProbeHost().Seccomp {
		require.Equal(t, []string{"mkdir"}, specOf(t, "--security-opt", "seccomp="+prof).Linux.Seccomp.Syscalls[0].Names)
	}
}

// Bad confinement input: exit 125, one line naming the flag, the value and
// the rule.
func TestSecurityFlagRefusals(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{bad"), 0o600))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cap-add", "BOGUS"}, `cgrun: invalid --cap-add "BOGUS": unknown capability: must be a name like NET_ADMIN or CAP_NET_ADMIN, or ALL`},
		{[]string{"--cap-drop", "NET_ADMIN,CHOWN"}, `cgrun: invalid --cap-drop "NET_ADMIN,CHOWN": unknown capability`},
		{[]string{"--security-opt", "foo=bar"}, `cgrun: invalid --security-opt "foo=bar": unknown option`},
		{[]string{"--security-opt", "seccomp=" + bad}, `cgrun: invalid --security-opt "seccomp=` + bad + `": profile: Decoding seccomp profile failed`},
		{[]string{"--security-opt", "seccomp=" + filepath.Join(dir, "none.json")}, `read the profile: open `},
		{[]string{"--security-opt", "seccomp"}, `must be seccomp=unconfined or seccomp=PROFILE.json`},
		{[]string{"--security-opt", "no-new-privileges=maybe"}, `must be no-new-privileges, or no-new-privileges=true|false`},
		{[]string{"--security-opt", "systempaths=masked"}, `must be systempaths=unconfined`},
		{[]string{"--security-opt", "label=disable"}, `SELinux labels are not supported`},
	} {
		code, out, errs := runArgv(t, append([]string{"spec"}, tc.args...)...)
		require.Equal(t, 125, code, "%v: %s", tc.args, errs)
		require.Empty(t, out, tc.args)
		require.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
		require.Contains(t, errs, tc.want, tc.args)
	}
	if ok, _ := spec.ProbeHost().AppArmorSupport(); !ok {
		code, _, errs := runArgv(t, "spec", "--security-opt", "apparmor=docker-default")
		require.Equal(t, 125, code)
		require.Contains(t, errs, `invalid --security-opt "apparmor=docker-default": AppArmor is not enabled`)
	}
}
