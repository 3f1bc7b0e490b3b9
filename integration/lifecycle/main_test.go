package lifecycle

import (
	"os"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// TestMain runs the package with its own CNI directories and --network
// none by default (testutil.IsolateNetworks).
func TestMain(m *testing.M) {
	done := testutil.IsolateNetworks()
	code := m.Run()
	if err := done(); err != nil {
		os.Stderr.WriteString("lifecycle: " + err.Error() + "\n")
		code = 1
	}
	os.Exit(code)
}
