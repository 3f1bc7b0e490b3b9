package main

import (
	"os"

	// It imports only the standard library, so the runtime initializes it
	// among the first packages: a command that starts a container begins
	// its cgroup attach's grace period before the rest of cgrun initializes.
	_ "github.com/cgrun/cgrun/cgroup/warm"

	_ "github.com/opencontainers/cgroups/devices" // the device cgroup rules libcontainer applies
	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // nsexec runs before Go on `cgrun init`
)

// `cgrun init` is the container's init that libcontainer re-executes this
// binary as (as runc does with `runc init`). It must take over before main
// and before any command parsing; it never returns.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libcontainer.Init()
	}
}
