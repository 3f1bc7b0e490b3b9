package main

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]unix.Signal{"KILL": unix.SIGKILL, "sigterm": unix.SIGTERM, "SIGHUP": unix.SIGHUP, "9": unix.SIGKILL} {
		if got, err := parseSignal(in); err != nil || got != want {
			t.Errorf("parseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "NOPE", "0", "65", "-1"} {
		if _, err := parseSignal(bad); err == nil {
			t.Errorf("parseSignal(%q): want an error", bad)
		}
	}
}

func TestParseVolume(t *testing.T) {
	dir := t.TempDir()
	m, err := parseVolume(dir + ":/data:ro")
	if err != nil || m.Source != dir || m.Destination != "/data" || m.Type != "bind" || m.Options[len(m.Options)-1] != "ro" {
		t.Fatalf("parseVolume: %+v %v", m, err)
	}
	for _, bad := range []string{dir, "rel:/data", dir + ":rel", dir + ":/", dir + ":/d:rx", "/no/such/dir:/d", dir + ":/d:ro:x"} {
		if _, err := parseVolume(bad); err == nil {
			t.Errorf("parseVolume(%q): want an error", bad)
		}
	}
}

func TestParseDevice(t *testing.T) {
	d, err := parseDevice("/dev/null:/dev/mynull:rw")
	if err != nil || d.Path != "/dev/null" || d.ContainerPath != "/dev/mynull" || d.Permissions != "rw" {
		t.Fatalf("parseDevice: %+v %v", d, err)
	}
	dev, rule, err := d.Resolve()
	if err != nil || dev.Path != "/dev/mynull" || dev.Type != "c" || dev.Major != 1 || dev.Minor != 3 {
		t.Fatalf("Resolve: %+v %v", dev, err)
	}
	if !rule.Allow || rule.Access != "rw" || *rule.Major != 1 || *rule.Minor != 3 {
		t.Fatalf("rule: %+v", rule)
	}
	for _, bad := range []string{"/dev/null:rel", "/dev/null:/dev/x:rwx", "/dev/null:/dev/x:", "/etc/passwd", "/dev/no-such"} {
		if _, err := parseDevice(bad); err == nil {
			t.Errorf("parseDevice(%q): want an error", bad)
		}
	}
}

func TestEnvOptions(t *testing.T) {
	t.Setenv("CGRUN_TEST_HOST", "h")
	os.Unsetenv("CGRUN_TEST_UNSET")
	got, err := envOptions([]string{"A=1", "B=", "CGRUN_TEST_HOST", "CGRUN_TEST_UNSET"})
	if err != nil || len(got) != 3 || got[0] != "A=1" || got[1] != "B=" || got[2] != "CGRUN_TEST_HOST=h" {
		t.Fatalf("envOptions: %q %v", got, err)
	}
	if _, err := envOptions([]string{"=x"}); err == nil {
		t.Error("envOptions(=x): want an error")
	}
}
