package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Helpers of the cgroup v2 rows (v2_test.go, v2measure_test.go), on top of
// testutil's cgrun harness (own state root and cgroup parent per test).

// v2Require requires root and cgroup v2 with cgrun's controllers enabled.
func v2Require(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t)
	testutil.RequireV2Controllers(t, "cpu", "cpuset", "io", "memory", "pids")
}

// v2Cgrun is v2Require and testutil's harness (it requires the built cgrun).
func v2Cgrun(t *testing.T) *testutil.Cgrun {
	t.Helper()
	v2Require(t)
	return testutil.NewCgrun(t)
}

// v2Run runs `cgrun run --rm LIMITS... IMAGE CMD...` under a cgroup parent of
// the test's own.
func v2Run(t *testing.T, limits []string, cmd ...string) testutil.Result {
	t.Helper()
	return v2Cgrun(t).Run(append([]string{"--rm"}, limits...), cmd...)
}

// v2Loop attaches a loop device of the test's own (loopdev_test.go).
func v2Loop(t *testing.T) (dev, majMin string) {
	t.Helper()
	return loopDevice(t)
}

// v2NoReadahead switches readahead off on the test's own block device, so
// each buffered 4 KiB read is one IO.
func v2NoReadahead(t *testing.T, dev string) {
	t.Helper()
	p := filepath.Join("/sys/block", filepath.Base(dev), "queue", "read_ahead_kb")
	if err := os.WriteFile(p, []byte("0"), 0); err != nil {
		t.Fatalf("echo 0 > %s: %v", p, err)
	}
}

// v2Floats parses the space-separated numbers a container printed.
func v2Floats(t *testing.T, r testutil.Result, n int) []float64 {
	t.Helper()
	fs := strings.Fields(r.Stdout)
	if r.Code != 0 || len(fs) != n {
		t.Fatalf("want %d numbers from the container: %s", n, r)
	}
	out := make([]float64, n)
	for i, f := range fs {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("number %d of %q: %v", i, r.Stdout, err)
		}
		out[i] = v
	}
	return out
}
