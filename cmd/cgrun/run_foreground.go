package main

import (
	"os"

	"github.com/cgrun/cgrun/container"
)

// runForeground starts the container with cgrun's own stdio, forwards the
// signals sigs caught to it, waits, and exits with its code.
func runForeground(rt *container.Runtime, st *container.State, sigs *signalForwarder, interactive bool) error {
	sigs.wait() // every signal caught before the start, so none is lost meanwhile

	pio := container.IO{Stdout: os.Stdout, Stderr: os.Stderr}
	if interactive {
		pio.Stdin = os.Stdin
	}
	var con *ttyConsole
	if st.Spec.Process.Terminal {
		var err error
		if con, err = newConsole(interactive); err != nil {
			return startFailed(rt, st.ID, err)
		}
		defer con.close()
		pio = container.IO{ConsoleSocket: con.socket}
	}
	run, err := rt.Start(st.ID, pio)
	if err != nil {
		return startErr(err)
	}
	if con != nil {
		if err := con.attach(); err != nil {
			_ = run.Signal(os.Kill)
		}
		sigs.onResize(con.resize)
	}
	sigs.to(run.Signal)
	ex, err := run.Wait()
	if con != nil {
		con.drain()
	}
	if err != nil {
		return err
	}
	if ex.Code != 0 {
		return exitCodeError{code: ex.Code}
	}
	return nil
}
