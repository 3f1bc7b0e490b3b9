package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Helpers of the resource-guide rows on the host's cgroup v1 (memory_test.go,
// cpu_test.go, blkio_test.go, pids_test.go): the rows run through the built
// cgrun with a state root and cgroup parent of the test's own
// (testutil.Cgrun), and their effects are measured from the host: the
// container's cgroup counters, or timings the container takes itself.

// seedEnv requires root and the host's cgroup v1 (the VM lane runs the v2
// rows, v2_test.go) and returns a harness whose cleanup removes every
// container and the test's cgroup parent.
func seedEnv(t *testing.T) *testutil.Cgrun {
	t.Helper()
	testutil.RequireRoot(t)
	testutil.RequireV1(t)
	return testutil.NewCgrun(t)
}

// seedEnvAnyMode is seedEnv for a row whose command reads no v1-only file and
// that the v2 rows (v2_test.go) do not cover: both lanes run it.
func seedEnvAnyMode(t *testing.T, v2Controllers ...string) *testutil.Cgrun {
	t.Helper()
	testutil.RequireRoot(t)
	if testutil.CgroupMode() == testutil.V2 {
		testutil.RequireV2Controllers(t, v2Controllers...)
	}
	return testutil.NewCgrun(t)
}

// seedRun runs `cgrun run --rm FLAGS... IMAGE CMD...`.
func seedRun(c *testutil.Cgrun, flags []string, cmd ...string) testutil.Result {
	return c.Run(append([]string{"--rm"}, flags...), cmd...)
}

// seedContainer is the part of `cgrun inspect` the rows read.
type seedContainer struct {
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	Running     bool              `json:"running"`
	Pid         int               `json:"pid"`
	CgroupPaths map[string]string `json:"cgroupPaths"`
}

// seedStart runs `cgrun run -d` and returns the container as inspected.
func seedStart(t *testing.T, c *testutil.Cgrun, flags []string, cmd ...string) seedContainer {
	t.Helper()
	r := c.Run(append([]string{"-d"}, flags...), cmd...)
	if r.Code != 0 || len(r.Stdout) != 64 {
		t.Fatalf("cgrun run -d %s: %s; want exit 0 and an ID", strings.Join(flags, " "), r)
	}
	return seedInspect(t, c, r.Stdout)
}

func seedInspect(t *testing.T, c *testutil.Cgrun, id string) seedContainer {
	t.Helper()
	r := c.Cmd("inspect", id)
	var out []seedContainer
	if err := json.Unmarshal([]byte(r.Stdout), &out); r.Code != 0 || err != nil || len(out) != 1 {
		t.Fatalf("cgrun inspect %s: %s (%v)", id, r, err)
	}
	return out[0]
}

// cgroupDir is the container's directory in one v1 hierarchy, as inspect
// reports it, checked to lie under the test's own parent.
func (s seedContainer) cgroupDir(t *testing.T, c *testutil.Cgrun, controller string) string {
	t.Helper()
	dir := s.CgroupPaths[controller]
	want := filepath.Join(testutil.CgroupRoot, controller, c.Parent, s.ID)
	if dir != want {
		t.Fatalf("inspect: %s cgroup %q, want %q (PARENT/ID)", controller, dir, want)
	}
	return dir
}

// readFile reads a kernel file, trimmed.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// readUints reads the space-separated counters of a kernel file
// (cpuacct.usage, cpuacct.usage_percpu).
func readUints(t *testing.T, path string) []uint64 {
	t.Helper()
	var out []uint64
	for _, f := range strings.Fields(readFile(t, path)) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// hasLine reports whether text holds a line equal to want (spaces trimmed).
func hasLine(text, want string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// waitUntil polls cond every 50 ms for at most d.
func waitUntil(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// cpuWindow is how long CPU use is measured: the rows ask for >= 3 s.
const cpuWindow = 3500 * time.Millisecond

// cpuFirst gives the test's cgroup parent the largest cpu.shares (262144)
// before its containers start: other work on the machine (processes in the
// root cgroup, 1024 each) cannot then starve a measured container below what
// its own limits allow, and the figures measure cgrun's limits, not the
// machine's load. testutil's cleanup removes the parent it creates.
func cpuFirst(t *testing.T, c *testutil.Cgrun) {
	t.Helper()
	dir := filepath.Join(testutil.CgroupRoot, "cpu", c.Parent)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cpu.shares"), []byte("262144"), 0); err != nil {
		t.Fatal(err)
	}
}

// cpuSample reads each file's counters (nanoseconds of CPU time), waits
// cpuWindow, reads them again and returns the deltas in seconds per file
// and counter, with the wall time between the two reads.
func cpuSample(t *testing.T, files ...string) ([][]float64, float64) {
	t.Helper()
	before := make([][]uint64, len(files))
	t0 := time.Now()
	for i, f := range files {
		before[i] = readUints(t, f)
	}
	time.Sleep(cpuWindow)
	deltas := make([][]float64, len(files))
	for i, f := range files {
		after := readUints(t, f)
		if len(after) != len(before[i]) {
			t.Fatalf("%s: %d counters, then %d", f, len(before[i]), len(after))
		}
		for j := range after {
			deltas[i] = append(deltas[i], float64(after[j]-before[i][j])/1e9)
		}
	}
	wall := time.Since(t0).Seconds()
	t.Logf("measured over %.2fs; load average %s", wall, readFile(t, "/proc/loadavg"))
	return deltas, wall
}

// warmUp waits until a container's cpuacct.usage has grown for a second
// (stress has forked its worker and runs).
func warmUp(t *testing.T, usageFile string) {
	t.Helper()
	start := readUints(t, usageFile)[0]
	if !waitUntil(10*time.Second, func() bool { return readUints(t, usageFile)[0] > start+1e8 }) {
		t.Fatalf("%s: no CPU use within 10s; the container's load did not start", usageFile)
	}
	time.Sleep(time.Second)
}

// timed wraps a shell command so the container prints the /proc/uptime
// seconds before and after it: the timing excludes container start-up.
func timed(cmd string) string {
	return "read a rest </proc/uptime; " + cmd + " 2>/dev/null || exit 9; read b rest </proc/uptime; echo $a $b"
}

// timedSeconds parses what a timed command printed.
func timedSeconds(t *testing.T, r testutil.Result) float64 {
	t.Helper()
	fs := strings.Fields(r.Stdout)
	if r.Code != 0 || len(fs) != 2 {
		t.Fatalf("want two uptimes from the container: %s", r)
	}
	a, err1 := strconv.ParseFloat(fs[0], 64)
	b, err2 := strconv.ParseFloat(fs[1], 64)
	if err1 != nil || err2 != nil || b < a {
		t.Fatalf("uptimes %q: %v %v", r.Stdout, err1, err2)
	}
	return b - a
}

// within reports whether got is within frac of want.
func within(got, want, frac float64) bool {
	return got >= want*(1-frac) && got <= want*(1+frac)
}
