package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// A per-device weight acts only under bfq (REFERENCE.md, complaint 5): on a
// device under another scheduler cgrun refuses it with exit 125 and one line
// naming the flag, the device and the fix, leaving nothing behind; once the
// device is under bfq the same run succeeds and the weight is in the
// container's cgroup, and a global weight draws no warning. Both lanes.
func TestBlkioWeightDeviceNeedsBFQ(t *testing.T) {
	c := seedEnvAnyMode(t, "io")
	dev, mm := loopDevice(t)
	name := filepath.Base(dev)
	flags := []string{"--blkio-weight-device", dev + ":500"}
	weightFile := "/sys/fs/cgroup/blkio/blkio.bfq.weight_device"
	if testutil.CgroupMode() == testutil.V2 {
		weightFile = "/sys/fs/cgroup/io.bfq.weight"
	}

	useScheduler(t, dev, "none")
	r := seedRun(c, flags, "cat", weightFile)
	want := "cgrun: --blkio-weight-device: device " + name + " (" + mm + ") is scheduled by none, and weights act only under bfq (echo bfq > /sys/block/" + name + "/queue/scheduler)"
	if r.Code != 125 || r.Stderr != want {
		t.Errorf("cgrun run %s under none: %s\nwant exit 125 and stderr %q", strings.Join(flags, " "), r, want)
	}
	if dirs := c.CgroupDirs("*"); len(dirs) > 0 {
		t.Errorf("refused run left cgroups %v", dirs)
	}
	if ents, _ := os.ReadDir(c.Root); len(ents) > 0 {
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), ".") {
				t.Errorf("refused run left state %s", e.Name())
			}
		}
	}

	useScheduler(t, dev, "bfq")
	r = seedRun(c, append([]string{"--blkio-weight", "300"}, flags...), "cat", weightFile)
	if r.Code != 0 || !slicesHasLine(r.Stdout, mm+" 500") {
		t.Errorf("cgrun run --blkio-weight 300 %s under bfq: %s; want exit 0 and line %q in %s", strings.Join(flags, " "), r, mm+" 500", weightFile)
	}
	if strings.Contains(r.Stderr, "warning") {
		t.Errorf("bfq is active on %s, yet: %s", dev, r.Stderr)
	}
}

func slicesHasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
