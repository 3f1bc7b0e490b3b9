package runner

import (
	"os"

	"github.com/cgrun/cgrun/container"
)

// Init is the hook a program that runs containers calls first, from an
// init function of package main (or as the first statement of main):
//
//   - as a container's init (libcontainer re-executes the program with
//     container.InitArg), libcontainer takes over; Init never returns;
//   - as a detached container's monitor (MonitorArg ROOT ID), it runs
//     Monitor and exits with its code;
//   - otherwise it keeps the main goroutine on the main thread (see
//     container.Init) and returns.
//
// Importing the package does none of this.
func Init() {
	container.Init()
	if len(os.Args) > 1 && os.Args[1] == MonitorArg {
		os.Exit(monitorMain(os.Args[2:]))
	}
}
