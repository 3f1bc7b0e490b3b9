package integration

import (
	"os"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// TestMain runs the package with its own CNI directories and --network
// none by default (testutil.IsolateNetworks); the network tests name their
// networks. It removes the embedder's build at the end.
func TestMain(m *testing.M) {
	done := testutil.IsolateNetworks()
	code := m.Run()
	if embedderBuild.dir != "" {
		_ = os.RemoveAll(embedderBuild.dir)
	}
	if err := done(); err != nil {
		os.Stderr.WriteString("integration: " + err.Error() + "\n")
		code = 1
	}
	os.Exit(code)
}
