// Command cgrun-init is a container's init and nothing else: libcontainer's
// init (nsexec, then Go) in a binary a fifth of cgrun's size with a fifth
// of its package inits. cgrun's binary executes it in place of itself for
// every container it starts or execs into when it is installed beside
// cgrun (package container/initexec); it is never run by hand.
package main

import (
	"fmt"
	"os"

	"github.com/cgrun/cgrun/container/initexec"          // checks the runner's protocol before nsexec runs
	"github.com/cgrun/cgrun/container/seccompcache"      // the compiler's argument
	"github.com/cgrun/cgrun/container/seccompcache/wrap" // the runner's compiled seccomp filter, served to libcontainer
	_ "github.com/opencontainers/cgroups/devices"        // the device cgroup rules libcontainer applies
	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // nsexec runs before Go in the container's init
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == initexec.ProtocolArg { // for cgrun check
		fmt.Println(initexec.Protocol)
		return
	}
	if len(os.Args) == 2 && os.Args[1] == seccompcache.CompileArg { // for the runner's cache
		if err := wrap.Compile(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "cgrun-init:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) < 2 || os.Args[1] != "init" || os.Getenv("_LIBCONTAINER_INITPIPE") == "" {
		fmt.Fprintln(os.Stderr, "cgrun-init: a container's init, started by cgrun; not to be run by hand")
		os.Exit(125)
	}
	libcontainer.Init()
}
