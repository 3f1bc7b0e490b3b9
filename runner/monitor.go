package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/container"
)

// MonitorArg is the first argument of a detached container's monitor when
// the Runner re-executes its own program (Options.MonitorCommand nil):
// `PROGRAM cgrun-monitor ROOT ID`. Init recognises it.
const MonitorArg = "cgrun-monitor"

// Monitor is the life of a detached container's monitor process: it starts
// container id of the state directory root with its stdout and stderr
// going to the monitor's own (the container's log), reports the start on
// report (closed then), waits, records the exit code and OOM kills,
// starts it again as its restart policy says, and releases what the
// container held once it is done (removing it when it was created with
// AutoRemove). It runs no goroutine while it waits (one with a terminal,
// copying it to the log). A *container.ReleaseError says the exit was
// recorded but something stays to release.
func Monitor(root, id string, report io.WriteCloser) error {
	// A detached container outlives the terminal; its signals are sent to
	// the container directly (Container.Signal, `cgrun kill`).
	signal.Ignore(unix.SIGHUP, unix.SIGINT, unix.SIGPIPE)
	fail := func(err error) error {
		_, _ = report.Write(formatStartReport(err))
		report.Close()
		return err
	}
	rt, err := container.NewRuntime(root, nil, nil)
	if err != nil {
		return fail(err)
	}
	st, err := rt.Store.Load(id)
	if err != nil {
		return fail(err)
	}
	// Each run gets its stdio: the monitor's own (the log), or with a
	// terminal a new console, copied to the log by a goroutine from the
	// moment libcontainer hands its master over until the run ends.
	var consoles []*Console
	var copies sync.WaitGroup
	defer func() {
		for _, c := range consoles {
			c.Close() // unblocks a copy whose run never started
		}
	}()
	stdio := func() (container.IO, error) {
		if !st.Spec.Process.Terminal {
			return container.IO{Stdout: os.Stdout, Stderr: os.Stderr}, nil
		}
		c, err := NewConsole()
		if err != nil {
			return container.IO{}, err
		}
		consoles = append(consoles, c)
		copies.Add(1)
		go func() {
			defer copies.Done()
			if master, err := c.Master(); err == nil {
				_, _ = io.Copy(os.Stdout, master)
				master.Close()
			}
		}()
		return container.IO{ConsoleSocket: c.Socket}, nil
	}
	pio, err := stdio()
	if err != nil {
		_ = rt.Remove(id, true)
		return fail(err)
	}
	run, err := rt.Start(id, pio)
	_, _ = report.Write(formatStartReport(err))
	report.Close()
	if err != nil {
		return err
	}
	debug.FreeOSMemory() // the start's garbage, before the long wait
	if st.Restart != nil && st.Restart.Name != "no" {
		_, err = run.WaitRestarting(stdio)
	} else {
		_, err = run.Wait()
	}
	copies.Wait()
	return err
}

// monitorMain runs Monitor for `PROGRAM cgrun-monitor ROOT ID` (args are
// ROOT ID) with the report on fd 3, and returns the process's exit code.
func monitorMain(args []string) int {
	report := os.NewFile(3, "start-report")
	if len(args) != 2 || report == nil {
		fmt.Fprintf(os.Stderr, "%s: usage: %s ROOT ID, with the start report on fd 3\n", MonitorArg, MonitorArg)
		return 125
	}
	if err := Monitor(args[0], args[1], report); err != nil {
		fmt.Fprintf(os.Stderr, "cgrun: %v\n", err)
		var se *container.StartError
		if errors.As(err, &se) {
			return se.Code
		}
		return 125
	}
	return 0
}
