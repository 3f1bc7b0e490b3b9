package main

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/container"
)

// monitorCommand is the hidden per-container process of a detached run: it
// starts the container with its stdout and stderr going to the log file
// (its own stdio), reports the start to `cgrun run -d` on fd 3, waits,
// records the exit code and OOM kill, and releases what the container held
// (removing it with --rm). It runs no goroutine while it waits (one with -t,
// copying the console to the log).
func monitorCommand() *cli.Command {
	return &cli.Command{
		Name:      "monitor",
		Hidden:    true,
		ArgsUsage: "ID",
		Action:    monitorAction,
	}
}

func monitorAction(c *cli.Context) error {
	report := os.NewFile(3, "start-report")
	if report == nil {
		return errors.New("monitor: no start report descriptor")
	}
	// A detached container outlives the terminal; its signals are sent by
	// `cgrun kill`/`stop` to the container directly.
	signal.Ignore(unix.SIGHUP, unix.SIGINT, unix.SIGPIPE)
	rt, err := newRuntime(c, "")
	if err != nil {
		_, _ = io.WriteString(report, formatStartReport(err))
		return err
	}
	id := c.Args().First()
	st, err := rt.Store.Load(id)
	if err != nil {
		_, _ = io.WriteString(report, formatStartReport(err))
		return err
	}
	pio := container.IO{Stdout: os.Stdout, Stderr: os.Stderr}
	var out chan struct{}
	var con *ttyConsole
	if st.Spec.Process.Terminal {
		if con, err = newConsole(false); err != nil {
			_, _ = io.WriteString(report, formatStartReport(err))
			_ = rt.Remove(id, true)
			return err
		}
		pio = container.IO{ConsoleSocket: con.socket}
	}
	run, err := rt.Start(id, pio)
	_, _ = io.WriteString(report, formatStartReport(err))
	report.Close()
	if err != nil {
		return exitCodeError{code: exitCgrunError}
	}
	debug.FreeOSMemory() // the start's garbage, before the long wait
	if con != nil {
		if err := <-con.received; err == nil {
			con.socket.Close()
			out = make(chan struct{})
			go func() { _, _ = io.Copy(os.Stdout, con.master); close(out) }()
		}
	}
	_, err = run.Wait()
	if out != nil {
		<-out
	}
	return err
}
