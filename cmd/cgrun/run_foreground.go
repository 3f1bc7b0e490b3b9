package main

import (
	"context"

	"github.com/cgrun/cgrun/container"
)

// runForeground starts the container with cgrun's own stdio, forwards the
// signals sigs caught to it, waits, and exits with its code. A run that an
// interrupting signal cancelled (ctx) is removed instead of started.
func runForeground(ctx context.Context, rt *container.Runtime, st *container.State, sigs *signalForwarder, interactive bool) error {
	sigs.wait() // every signal caught before the start, so none is lost meanwhile
	if ie := interruption(ctx); ie != nil {
		return startFailed(rt, st.ID, ie)
	}

	pio := stdio(interactive)
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
	return attachAndWait(run, con, sigs)
}
