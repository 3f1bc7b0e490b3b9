package initexec_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/container/initexec"
)

// The protocol names the libcontainer this module builds against: bumping
// runc in go.mod without it would let a runner and an init binary of two
// releases meet.
func TestProtocolIsGoModsLibcontainer(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/opencontainers/runc (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod requires no github.com/opencontainers/runc")
	}
	if want := "libcontainer " + string(m[1]); initexec.Protocol != want {
		t.Fatalf("initexec.Protocol %q, go.mod has %q: change CGRUN_INITEXEC_PROTO in initexec.h", initexec.Protocol, want)
	}
	if initexec.Name != "cgrun-init" {
		t.Fatalf("Name %q", initexec.Name)
	}
}

// Check makes the constructor's checks: a fit init binary that says this
// protocol is used, sealed; one others may write, or of another protocol,
// or none, is not, and says why.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "program")
	if st := initexec.Check(exe); st.Used || !strings.Contains(st.Reason, "none beside") || st.Binary != filepath.Join(dir, initexec.Name) {
		t.Fatalf("no init binary: %+v", st)
	}
	script := func(mode os.FileMode, protocol string) {
		t.Helper()
		p := filepath.Join(dir, initexec.Name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho '"+protocol+"'\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	script(0o755, initexec.Protocol)
	if st := initexec.Check(exe); !st.Used || st.Sealing == "" || st.Protocol != initexec.Protocol {
		t.Fatalf("a fit init binary: %+v", st)
	}
	script(0o775, initexec.Protocol)
	if st := initexec.Check(exe); st.Used || !strings.Contains(st.Reason, "only its owner") {
		t.Fatalf("a group-writable init binary: %+v", st)
	}
	script(0o755, "libcontainer v0.0.1")
	if st := initexec.Check(exe); st.Used || !strings.Contains(st.Reason, "built against libcontainer v0.0.1") {
		t.Fatalf("an init binary of another protocol: %+v", st)
	}
}
