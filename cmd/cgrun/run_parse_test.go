package main

import (
	"errors"
	"os"
	"testing"

	"github.com/cgrun/cgrun/container"
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
	dev, rule, err := parseDevice("/dev/null:/dev/mynull:rw")
	if err != nil || dev.Path != "/dev/mynull" || dev.Type != "c" || dev.Major != 1 || dev.Minor != 3 {
		t.Fatalf("parseDevice: %+v %v", dev, err)
	}
	if c := rule.cgroup(); !c.Allow || c.Access != "rw" || *c.Major != 1 || *c.Minor != 3 {
		t.Fatalf("rule: %+v", c)
	}
	for _, bad := range []string{"/dev/null:rel", "/dev/null:/dev/x:rwx", "/etc/passwd", "/dev/no-such"} {
		if _, _, err := parseDevice(bad); err == nil {
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

func TestStartReportRoundTrip(t *testing.T) {
	if err := parseStartReport(formatStartReport(nil)); err != nil {
		t.Fatalf("ok report: %v", err)
	}
	err := parseStartReport(formatStartReport(&container.StartError{Code: 127, Err: errors.New("exec: \"x\": not found\nmore")}))
	var ce codedError
	if !errors.As(err, &ce) || ce.code != 127 || ce.Error() != `exec: "x": not found` {
		t.Fatalf("127 report: %#v", err)
	}
	if err := parseStartReport(""); err == nil {
		t.Fatal("an empty report (monitor died) must be an error")
	}
}
