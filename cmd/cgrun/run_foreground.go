package main

import (
	"context"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/runner"
)

// runningContainer is a container this process started in the foreground,
// as attachAndWait takes a process.
type runningContainer struct{ *runner.Container }

// Wait implements containerProcess: the container's exit, recorded and
// released by the runner.
func (r runningContainer) Wait() (container.Exit, error) {
	return r.Container.Wait(context.Background())
}
