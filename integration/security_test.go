package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/container/seccompcache"
	"github.com/cgrun/cgrun/integration/testutil"
)

// Confinement (both lanes): a default container is confined as Docker's
// default one is: Docker's seccomp profile (adjusted to the capabilities
// granted), Docker's 14 capabilities. sysprobe (in the test image) calls
// each system call in a way that changes nothing where it is allowed and
// prints "NAME ok" or "NAME ERRNO".

func probe(t *testing.T, c *testutil.Cgrun, flags []string, calls ...string) map[string]string {
	t.Helper()
	r := c.Run(append([]string{"--rm"}, flags...), append([]string{"sysprobe"}, calls...)...)
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("sysprobe %v with %v: %s", calls, flags, r)
	}
	got := map[string]string{}
	for _, line := range strings.Split(r.Stdout, "\n") {
		if name, res, ok := strings.Cut(line, " "); ok {
			got[name] = res
		}
	}
	return got
}

func seccompMode(t *testing.T, c *testutil.Cgrun, flags ...string) string {
	t.Helper()
	r := c.Run(append([]string{"--rm"}, flags...), "grep", "^Seccomp:", "/proc/self/status")
	if r.Code != 0 {
		t.Fatalf("grep Seccomp with %v: %s", flags, r)
	}
	return strings.Join(strings.Fields(r.Stdout), " ")
}

func TestDefaultSeccompRefuses(t *testing.T) {
	c := testutil.NewCgrun(t)
	if got := seccompMode(t, c); got != "Seccomp: 2" {
		t.Fatalf("default container: %q, want Seccomp: 2 (a filter)", got)
	}
	calls := []string{"unshare", "mount", "keyctl", "add_key", "clock_settime", "reboot"}
	got := probe(t, c, nil, calls...)
	for _, call := range calls {
		if got[call] != "EPERM" {
			t.Errorf("%s in a default container: %q, want EPERM", call, got[call])
		}
	}
}

// The filter, not only the capabilities, refuses: with every capability
// granted, the default profile still refuses keyctl and add_key, and lets
// through what CAP_SYS_ADMIN needs (Docker's adjustment); unconfined lifts
// the filter.
func TestSeccompBeyondCapabilities(t *testing.T) {
	c := testutil.NewCgrun(t)
	got := probe(t, c, []string{"--cap-add", "ALL"}, "keyctl", "add_key", "unshare", "mount", "clock_settime")
	want := map[string]string{"keyctl": "EPERM", "add_key": "EPERM", "unshare": "ok", "mount": "ok", "clock_settime": "EINVAL"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("--cap-add ALL: %s %q, want %q", k, got[k], v)
		}
	}
	flags := []string{"--cap-add", "ALL", "--security-opt", "seccomp=unconfined"}
	if got := seccompMode(t, c, flags...); got != "Seccomp: 0" {
		t.Fatalf("seccomp=unconfined: %q, want Seccomp: 0", got)
	}
	got = probe(t, c, flags, "keyctl", "add_key")
	if got["keyctl"] != "ok" || got["add_key"] != "EINVAL" {
		t.Errorf("unconfined with every capability: %v, want keyctl ok, add_key EINVAL (allowed, refused by its argument)", got)
	}
}

// A profile of one's own: everything allowed but mkdir.
func TestSeccompProfileFile(t *testing.T) {
	c := testutil.NewCgrun(t)
	prof := filepath.Join(t.TempDir(), "no-mkdir.json")
	if err := os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.Run([]string{"--rm", "--security-opt", "seccomp=" + prof}, "sh", "-c", "mkdir /tmp/d; echo rc=$?; sysprobe keyctl")
	if !strings.Contains(r.Stdout, "rc=1") || !strings.Contains(r.Stdout, "keyctl ok") {
		t.Fatalf("profile without mkdir: %s", r)
	}
}

func TestCapabilities(t *testing.T) {
	c := testutil.NewCgrun(t)
	r := c.Run([]string{"--rm", "--cap-drop", "ALL"}, "sh", "-c", "touch /dev/shm/x && chown 1 /dev/shm/x")
	if r.Code == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
		t.Errorf("--cap-drop ALL: chown %s, want refused", r)
	}
	if r := c.Run([]string{"--rm"}, "sh", "-c", "touch /dev/shm/x && chown 1 /dev/shm/x"); r.Code != 0 {
		t.Errorf("default capabilities: chown %s, want allowed (CAP_CHOWN)", r)
	}
	addLink := "ip link add name cgrun0 type veth && ip link show cgrun0"
	if r := c.Run([]string{"--rm"}, "sh", "-c", addLink); r.Code == 0 {
		t.Errorf("default: ip link add succeeded without CAP_NET_ADMIN: %s", r)
	}
	if r := c.Run([]string{"--rm", "--cap-add", "NET_ADMIN"}, "sh", "-c", addLink); r.Code != 0 || !strings.Contains(r.Stdout, "cgrun0") {
		t.Errorf("--cap-add NET_ADMIN: ip link add: %s", r)
	}
	r = c.Run([]string{"--rm", "--cap-drop", "all", "--cap-add", "CAP_KILL"}, "grep", "^CapEff:", "/proc/self/status")
	if got := strings.Fields(r.Stdout); len(got) != 2 || got[1] != "0000000000000020" {
		t.Errorf("--cap-drop all --cap-add CAP_KILL: %s, want CapEff 0000000000000020", r)
	}
}

// --privileged: every capability and host device, no filter, no masked
// path, a tmpfs can be mounted.
func TestPrivileged(t *testing.T) {
	c := testutil.NewCgrun(t)
	r := c.Run([]string{"--rm", "--privileged"}, "sh", "-c",
		`grep ^Seccomp: /proc/self/status; mount -t tmpfs none /tmp && echo mounted; ls /dev/loop-control; [ "$(wc -c </proc/interrupts)" -gt 0 ] && echo interrupts`)
	for _, want := range []string{"Seccomp:\t0", "mounted", "/dev/loop-control", "interrupts"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("--privileged: want %q in %s", want, r)
		}
	}
	if r := c.Run([]string{"--rm"}, "sh", "-c", `ls /dev/loop-control; [ "$(wc -c </proc/interrupts)" -gt 0 ] && echo interrupts`); r.Code == 0 || r.Stdout != "" {
		t.Errorf("a default container sees the host's /dev/loop-control or an unmasked /proc/interrupts: %s", r)
	}
}

// Bad confinement input: exit 125, one line, nothing created.
func TestConfinementRefusals(t *testing.T) {
	c := testutil.NewCgrun(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"defaultAction": 7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := [][]string{
		{"--cap-add", "NOPE"},
		{"--cap-drop", "CAP_NOPE"},
		{"--security-opt", "bogus=1"},
		{"--security-opt", "seccomp=" + bad},
		{"--security-opt", "seccomp=/no/such/profile.json"},
	}
	if b, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled"); strings.TrimSpace(string(b)) != "Y" {
		cases = append(cases, []string{"--security-opt", "apparmor=docker-default"})
	}
	for _, flags := range cases {
		r := c.Run(append([]string{"--rm"}, flags...), "true")
		if r.Code != 125 || r.Stderr == "" || strings.Contains(r.Stderr, "\n") || !strings.Contains(r.Stderr, flags[0]) {
			t.Errorf("%v: want exit 125 and one line naming the flag, got %s", flags, r)
		}
	}
	if left := c.Leftovers(); len(left) > 0 {
		t.Errorf("refused runs left: %v", left)
	}
}

// `cgrun spec` prints the confinement `cgrun run` applies: runc running the
// printed bundle is confined as cgrun's container is.
func TestSpecConfinedAsRun(t *testing.T) {
	c := testutil.NewCgrun(t)
	runc := testutil.RequireCommand(t, "runc", "runc")
	probeCmd := []string{"sh", "-c", "grep ^Seccomp: /proc/self/status; grep ^CapBnd: /proc/self/status; sysprobe keyctl unshare"}
	viaRun := c.Run([]string{"--rm", "--cap-add", "SYS_ADMIN"}, probeCmd...)
	if viaRun.Code != 1 {
		t.Fatalf("cgrun run: %s", viaRun)
	}
	bundle := t.TempDir()
	cfg, err := exec.Command(c.Bin, append([]string{"spec", "--cap-add", "SYS_ADMIN", "--rootfs", testutil.Image(t),
		"--cgroups-path", c.Parent + "/spec-run"}, probeCmd...)...).Output()
	if err != nil {
		t.Fatalf("cgrun spec: %v", err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	out, err := exec.Command(runc, "--root", state, "run", "--bundle", bundle, "cgrun-spec-confined").Output()
	_ = exec.Command(runc, "--root", state, "delete", "-f", "cgrun-spec-confined").Run()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("runc run: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != viaRun.Stdout {
		t.Errorf("runc run of the printed spec:\n%s\ncgrun run:\n%s", got, viaRun.Stdout)
	}
	if !strings.Contains(viaRun.Stdout, "keyctl EPERM") || !strings.Contains(viaRun.Stdout, "unshare ok") {
		t.Errorf("cgrun run --cap-add SYS_ADMIN: %s", viaRun.Stdout)
	}
}

// TestSeccompCompiledOnce (both lanes): the default profile's filter is
// compiled once per state root and init binary (package seccompcache), and
// a container's init loads the program handed to it only when the
// libseccomp calls that built its own filter are the entry's. Proven with
// forged entries at the default profile's key: its transcript with the
// program of a profile that refuses mkdir makes a default container refuse
// mkdir (the init loaded what it was handed); the other profile's whole
// entry does not (another transcript: the init generates its own); an
// entry others may write is compiled again.
func TestSeccompCompiledOnce(t *testing.T) {
	c := testutil.NewCgrun(t)
	initBin := filepath.Join(filepath.Dir(c.Bin), "cgrun-init")
	_, err := os.Stat(initBin)
	testutil.Require(t, err == nil, "no cgrun-init beside "+c.Bin, "make build")
	cache := filepath.Join(c.Root, seccompcache.Dir)
	// the entries, by their path under the cache (INITBINARY/FILTER)
	entries := func() map[string][]byte {
		t.Helper()
		paths, err := filepath.Glob(filepath.Join(cache, "*", "*"))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("cache entry %s: %v %v", p, fi.Mode(), err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := seccompcache.Parse(b); err != nil {
				t.Fatalf("cache entry %s: %v", p, err)
			}
			rel, _ := filepath.Rel(cache, p)
			out[rel] = b
		}
		return out
	}
	// mkdir and keyctl in a container: "mkdir=0 keyctl EPERM" by default
	probeMkdir := func(flags ...string) string {
		t.Helper()
		r := c.Run(append([]string{"--rm"}, flags...), "sh", "-c", "d=$(mktemp -u /tmp/d.XXXXXX); mkdir $d; echo mkdir=$?; rmdir $d 2>/dev/null; sysprobe keyctl")
		return strings.Join(strings.Fields(r.Stdout), " ")
	}
	const confined = "mkdir=0 keyctl EPERM"
	if got := probeMkdir(); got != confined {
		t.Fatalf("default container: %q, want %q", got, confined)
	}
	first := entries()
	if len(first) != 1 {
		t.Fatalf("%d cache entries after one default container, want 1", len(first))
	}
	var key string
	var def []byte
	for k, b := range first {
		key, def = k, b
	}
	fi, _ := os.Stat(filepath.Join(cache, key))
	if got := probeMkdir(); got != confined {
		t.Fatalf("second default container: %q", got)
	}
	if fi2, _ := os.Stat(filepath.Join(cache, key)); !os.SameFile(fi, fi2) || len(entries()) != 1 {
		t.Fatal("the second start compiled the filter again")
	}

	prof := filepath.Join(t.TempDir(), "no-mkdir.json")
	if err := os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := probeMkdir("--security-opt", "seccomp="+prof); got != "mkdir=1 keyctl ok" {
		t.Fatalf("profile without mkdir: %q", got)
	}
	var other []byte
	for k, b := range entries() {
		if k != key {
			other = b
		}
	}
	if other == nil {
		t.Fatal("the second profile has no entry of its own")
	}
	d, _ := seccompcache.Parse(def)
	o, _ := seccompcache.Parse(other)
	write := func(b []byte, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(cache, key)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(seccompcache.Entry{Transcript: d.Transcript, Program: o.Program}.Bytes(), 0o600)
	if got := probeMkdir(); got != "mkdir=1 keyctl ok" {
		t.Fatalf("default container handed the default's transcript with the other profile's program: %q, want that program's refusals (mkdir=1 keyctl ok)", got)
	}
	write(other, 0o600)
	if got := probeMkdir(); got != confined {
		t.Fatalf("default container handed another profile's entry: %q, want its own filter (%q)", got, confined)
	}
	write(seccompcache.Entry{Transcript: d.Transcript, Program: o.Program}.Bytes(), 0o666)
	if got := probeMkdir(); got != confined {
		t.Fatalf("default container beside an entry others may write: %q, want %q", got, confined)
	}
	if b := entries()[key]; !bytes.Equal(b, def) {
		t.Fatal("the entry others could write was not compiled again")
	}
}
