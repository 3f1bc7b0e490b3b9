package runner_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/spec"
)

// A container from an OCI image layout with a memory and a pids limit; it
// prints its limits from inside and ends with code 3. (A program calls
// runner.Init first, from an init function of package main; the tests'
// TestMain does.)
func Example() {
	ctx := context.Background()
	r, err := runner.New(runner.Options{Root: stateDir, ImageStore: imageStore})
	if err != nil {
		log.Fatal(err)
	}
	mem, pids := int64(100<<20), int64(50)
	c, err := r.Run(ctx, &runner.Request{
		Image: "oci:" + layout + ":latest",
		Process: runner.Process{Args: []string{"sh", "-c",
			"cd /sys/fs/cgroup; cat memory.max memory/memory.limit_in_bytes pids.max pids/pids.max 2>/dev/null; exit 3"}},
		Resources:    spec.Resources{Memory: &mem, PidsLimit: &pids},
		CgroupParent: cgroupParent,
		AutoRemove:   true,
		IO:           container.IO{Stdout: os.Stdout, Stderr: os.Stderr},
	})
	if err != nil {
		log.Fatal(err)
	}
	exit, err := c.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", exit.Code)
	// Output:
	// 104857600
	// 50
	// exit code 3
}

// Change a limit of a running container: a detached container (its monitor
// outlives this process) gets more memory; the kernel's value is read back
// from its cgroup. Then it is killed and removed.
func Example_update() {
	ctx := context.Background()
	r, err := runner.New(runner.Options{Root: stateDir, ImageStore: imageStore})
	if err != nil {
		log.Fatal(err)
	}
	mem := int64(64 << 20)
	c, err := r.Run(ctx, &runner.Request{
		Name:         "updated",
		Image:        "oci:" + layout + ":latest",
		Process:      runner.Process{Args: []string{"sleep", "600"}},
		Resources:    spec.Resources{Memory: &mem},
		CgroupParent: cgroupParent,
		Detach:       true,
	})
	if err != nil {
		log.Fatal(err)
	}
	more := int64(256 << 20)
	st, err := c.Update(spec.Resources{Memory: &more})
	if err != nil {
		log.Fatal(err)
	}
	limits, err := cgroup.ReadBack(cgroup.Paths(st.CgroupPaths), st.Spec.Linux.Resources, st.Spec.Annotations)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range limits {
		fmt.Println(l.Resource, l.Actual)
	}
	if err := c.Signal(unix.SIGKILL); err != nil {
		log.Fatal(err)
	}
	exit, err := c.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", exit.Code)
	if err := c.Remove(false); err != nil {
		log.Fatal(err)
	}
	// Output:
	// memory.limit 268435456
	// exit code 137
}

// An iSCSI volume (provisioned on the local target and published to this
// node beforehand, as `cgrun volume create --provision tgt` and `cgrun
// volume publish` do) attached to one container that writes to it, then to
// another that reads it back read-only. Each is detached when its
// container ends.
func Example_volume() {
	ctx := context.Background()
	r, err := runner.New(runner.Options{Root: stateDir, ImageStore: imageStore, VolumeStateDir: volumeDir})
	if err != nil {
		log.Fatal(err)
	}
	for _, step := range []struct {
		cmd string
		ro  bool
	}{{"echo hello > /data/greeting", false}, {"cat /data/greeting", true}} {
		c, err := r.Run(ctx, &runner.Request{
			Image:        "oci:" + layout + ":latest",
			Process:      runner.Process{Args: []string{"sh", "-c", step.cmd}},
			Volumes:      []runner.Volume{{Name: exampleVolume, Target: "/data", ReadOnly: step.ro}},
			CgroupParent: cgroupParent,
			AutoRemove:   true,
			IO:           container.IO{Stdout: os.Stdout, Stderr: os.Stderr},
		})
		if err != nil {
			log.Fatal(err)
		}
		if exit, err := c.Wait(ctx); err != nil || exit.Code != 0 {
			log.Fatal(exit, err)
		}
	}
	// Output:
	// hello
}
