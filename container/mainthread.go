package container

import (
	"os"
	"runtime"

	_ "github.com/cgrun/cgrun/container/initexec" // the init on cgrun-init, when installed beside the runner
	_ "github.com/opencontainers/cgroups/devices" // the device cgroup rules libcontainer applies
	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // nsexec runs before Go in the container's init
)

// InitArg is the first argument libcontainer re-executes the calling
// binary with to make it a container's init (as runc does with `runc init`).
const InitArg = "init"

// Init is the hook every program that starts containers calls first, from
// an init function of package main (or as the first statement of main):
//
//   - When the process is a container's init (os.Args[1] is InitArg),
//     libcontainer takes over and Init never returns.
//   - Otherwise it locks the main goroutine to the main thread for the
//     whole process. libcontainer serves the init's bind-mount sources from
//     a goroutine that locks its thread and joins the container's mount
//     namespace, and never unlocks: the thread dies with the goroutine. The
//     Go runtime cannot end the main thread, though: when that goroutine
//     happened to run there, the main thread is parked for good, still in
//     the container's mount namespace, and the process then holds every
//     filesystem the container mounted until it exits (a volume's disk
//     would be deleted under a live filesystem). Locked, the main goroutine
//     owns the main thread and no other goroutine ever runs on it.
//
// Importing the package does neither: a program that never starts a
// container pays nothing. runner.Init calls Init.
func Init() {
	if len(os.Args) > 1 && os.Args[1] == InitArg {
		libcontainer.Init()
	}
	runtime.LockOSThread()
}
