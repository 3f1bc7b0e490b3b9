package initexec_test

import (
	"os"
	"regexp"
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
