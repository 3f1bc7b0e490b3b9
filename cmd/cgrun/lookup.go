package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

// eachContainer runs fn on every CONTAINER argument of c (ID, ID prefix
// or name), going on after a failure as Docker does; the first error is
// returned (exit 125) after all were tried.
func eachContainer(c *cli.Context, fn func(rt *container.Runtime, id string) error) error {
	if c.NArg() == 0 {
		return fmt.Errorf("%q needs at least one CONTAINER", c.Command.Name)
	}
	rt, err := newRuntime(c)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range c.Args().Slice() {
		id, err := rt.Store.Resolve(ref)
		if err == nil {
			err = fn(rt, id)
		}
		if err != nil {
			errs = append(errs, err)
			if len(errs) > 1 || c.NArg() > 1 {
				fmt.Fprintf(c.App.ErrWriter, "cgrun: %s\n", oneLine(errorText(err)))
			}
		}
	}
	switch {
	case len(errs) == 1 && c.NArg() == 1:
		return errs[0]
	case len(errs) > 0:
		return exitCodeError{code: exitCgrunError}
	}
	return nil
}

// statusText is a container's status as ps shows it. A state that says
// running while nobody runs the container (its owner died) shows as
// "unknown".
func statusText(rt *container.Runtime, st *container.State) string {
	s := string(st.Status)
	switch {
	case st.Status == container.StatusExited && st.ExitCode != nil:
		s = fmt.Sprintf("exited (%d)", *st.ExitCode)
	case (st.Status == container.StatusRunning || st.Status == container.StatusRestarting) && !rt.Running(st.ID):
		return "unknown"
	case st.Status == container.StatusRestarting && st.ExitCode != nil:
		s = fmt.Sprintf("restarting (%d)", *st.ExitCode)
	}
	if st.RestartCount > 0 {
		s += fmt.Sprintf(", %d restarts", st.RestartCount)
	}
	return s
}
