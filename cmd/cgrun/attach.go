package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/cgrun/cgrun/container"
)

// containerProcess is a started process of a container: the init of run,
// or an exec'd one.
type containerProcess interface {
	Signal(os.Signal) error
	Wait() (container.Exit, error)
}

// stdio is cgrun's own stdio for a process; interactive adds stdin.
func stdio(interactive bool) container.IO {
	pio := container.IO{Stdout: os.Stdout, Stderr: os.Stderr}
	if interactive {
		pio.Stdin = os.Stdin
	}
	return pio
}

// attachAndWait connects a started process to cgrun's terminal (con, when
// the process has one), forwards the signals sigs catches to it, waits,
// and ends cgrun with the process's code.
func attachAndWait(proc containerProcess, con *ttyConsole, sigs *signalForwarder) error {
	if con != nil {
		if err := con.attach(); err != nil {
			_ = proc.Signal(os.Kill)
		}
		sigs.onResize(con.resize)
	}
	sigs.to(proc.Signal)
	ex, err := proc.Wait()
	if con != nil {
		con.drain()
	}
	var re *container.ReleaseError
	if errors.As(err, &re) {
		// the exit is recorded; what stays held is released by rm
		fmt.Fprintf(os.Stderr, "cgrun: %s\n", oneLine(errorText(err)))
		err = nil
	}
	if err != nil {
		return err
	}
	if ex.Code != 0 {
		return exitCodeError{code: ex.Code}
	}
	return nil
}
