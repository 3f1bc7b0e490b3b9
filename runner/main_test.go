package runner_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/volume"
)

// What the examples run on, set up by TestMain: a state directory, an
// image store and a cgroup parent of their own, the test image's OCI
// layout (make image), and in the iSCSI lane a volume on the local tgt.
var (
	stateDir     string
	imageStore   string
	volumeDir    string
	cgroupParent = "/cgrun-example-" + strconv.Itoa(os.Getpid())
	layout       string
)

// exampleVolume is the volume Example_volume attaches (iSCSI lane only).
const exampleVolume = "example-data"

// TestMain is the test binary's main: libcontainer re-executes it as each
// container's init, and the runner as each detached container's monitor,
// so runner.Init comes first. The examples need root and the test image;
// without them they are skipped (under CI=true: failed).
func TestMain(m *testing.M) {
	runner.Init()
	flag.Parse()
	if why := setUp(); why != "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "runner examples: "+why)
			os.Exit(1)
		}
		fmt.Println("runner examples skipped: " + why)
		_ = flag.Set("test.run", "^Test") // the unit tests only
	} else if !iSCSILane() {
		fmt.Println("Example_volume skipped: this kernel has no iSCSI initiator (the VM lane, make test-vm, runs it)")
		_ = flag.Set("test.skip", "^Example_volume$")
	} else if err := provisionVolume(); err != nil {
		fmt.Fprintln(os.Stderr, "runner examples: provision the example volume:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := tearDown(); err != nil {
		fmt.Fprintln(os.Stderr, "runner examples: cleanup:", err)
		code = 1
	}
	os.Exit(code)
}

func setUp() string {
	if os.Geteuid() != 0 {
		return "they need root (sudo go test ./runner, or make test-unit as root)"
	}
	layout = os.Getenv("CGRUN_TEST_OCI")
	if layout == "" {
		_, self, _, _ := runtime.Caller(0)
		layout = filepath.Join(filepath.Dir(self), "..", "build", "testimage", "oci")
	}
	layout = filepath.Clean(layout)
	if _, err := os.Stat(filepath.Join(layout, "index.json")); err != nil {
		return "the test image's OCI layout is missing at " + layout + " (make image)"
	}
	tmp, err := os.MkdirTemp("", "cgrun-runner-examples-")
	if err != nil {
		return err.Error()
	}
	stateDir, imageStore, volumeDir = filepath.Join(tmp, "state"), filepath.Join(tmp, "images"), filepath.Join(tmp, "volumes")
	return ""
}

// iSCSILane reports whether the kernel has an iSCSI initiator and tgtd
// listens on the VM lane's portal.
func iSCSILane() bool {
	if _, err := os.Stat("/sys/module/iscsi_tcp"); err != nil {
		return false
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:3260", 2*time.Second)
	if err != nil {
		return false
	}
	return c.Close() == nil
}

// provisionVolume makes a 64 MiB volume on the local tgt, published to
// this node, as `cgrun volume create --provision tgt` and `cgrun volume
// publish` would.
func provisionVolume() error {
	ctx := context.Background()
	m := volume.NewManager(volume.Options{StateDir: volumeDir})
	v := &volume.Volume{Name: exampleVolume, Portal: "127.0.0.1:3260", Provision: volume.ProvisionTgt, SizeBytes: 64 << 20}
	if err := m.Provision(ctx, v); err != nil {
		return err
	}
	ini, err := volume.LocalInitiator("/")
	if err != nil {
		return err
	}
	return m.Publish(ctx, exampleVolume, ini)
}

// tearDown removes every container left, the example volume, the cgroup
// parent in every hierarchy and the directories.
func tearDown() error {
	if stateDir == "" {
		return nil
	}
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if r, err := runner.New(runner.Options{Root: stateDir, ImageStore: imageStore, VolumeStateDir: volumeDir}); err == nil {
		sts, _ := r.Runtime().Store.List()
		for _, st := range sts {
			keep(r.Runtime().Remove(st.ID, true))
		}
	}
	if iSCSILane() {
		err := volume.NewManager(volume.Options{StateDir: volumeDir}).Remove(context.Background(), exampleVolume)
		if err != nil && !errors.Is(err, volume.ErrNotFound) {
			keep(err)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", cgroupParent))
	dirs = append(dirs, filepath.Join("/sys/fs/cgroup", cgroupParent))
	for _, d := range dirs {
		if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
			keep(fmt.Errorf("cgroup parent %s (a container's cgroup left?): %w", d, err))
		}
	}
	keep(os.RemoveAll(filepath.Dir(stateDir)))
	return first
}
