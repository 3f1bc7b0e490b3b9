package runner

import (
	"context"
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/shim"
	"github.com/cgrun/cgrun/spec"
)

// Container is a handle on one container of a Runner: made by Create or
// Run, or found by Load whoever started it.
type Container struct {
	r      *Runner
	id     string
	name   string
	detach bool
	io     container.IO
	// run is the container's process when this handle started it in this
	// process (not detached): Wait and Signal go through it.
	run *container.Running
}

// ID is the container's full ID.
func (c *Container) ID() string { return c.id }

// Name is the container's name.
func (c *Container) Name() string { return c.name }

// State reads the container's recorded state: status, PID, exit code, OOM
// kills, the spec it runs.
func (c *Container) State() (*container.State, error) { return c.r.rt.Store.Load(c.id) }

// Start runs the created container: in this process with the request's IO,
// or, detached, under a monitor process that keeps its exit code and log
// and releases what it held when it exits. The user's process runs once
// Start returns nil. A failed start is a *container.StartError with
// Docker's exit code (125, 126, 127); what the container held is released
// (and it is removed with AutoRemove).
func (c *Container) Start(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil {
		_ = c.r.rt.Remove(c.id, true)
		_ = shim.Done()
		return err
	}
	if c.detach {
		return c.startDetached()
	}
	run, err := c.r.rt.Start(c.id, c.io)
	if err != nil {
		_ = shim.Done() // released, and removed
		return err
	}
	c.run = run
	return nil
}

// Signal sends sig to the container's process.
func (c *Container) Signal(sig os.Signal) error {
	if c.run != nil {
		return c.run.Signal(sig)
	}
	s, ok := sig.(unix.Signal)
	if !ok {
		return fmt.Errorf("signal %v is not a unix signal", sig)
	}
	return c.r.rt.Kill(c.id, s)
}

// Wait waits for the container's process to end and returns its exit:
// Docker's code (128+N after signal N) and whether the OOM killer ended
// it. Started by this handle in this process, Wait also records the exit
// and releases what the container held (a *container.ReleaseError, with
// the exit, when something could not be released; it stays recorded).
// Otherwise it waits for the process that owns the container to do so; a
// container removed on exit (AutoRemove) by another process then returns
// container.ErrNotFound.
func (c *Container) Wait(ctx context.Context) (container.Exit, error) {
	if c.run != nil {
		ex, err := c.run.Wait()
		_ = shim.Done()
		return ex, err
	}
	st, err := c.r.rt.WaitContext(ctx, c.id)
	if err != nil {
		return container.Exit{}, err
	}
	if st.ExitCode == nil {
		return container.Exit{}, fmt.Errorf("container %s ended without a recorded exit code", container.ShortID(c.id))
	}
	return container.Exit{Code: *st.ExitCode, OOMKilled: st.OOMKilled}, nil
}

// Remove deletes the container and releases what it held; with force a
// running container is killed first. A container already gone is removed.
func (c *Container) Remove(force bool) error {
	err := c.r.rt.Remove(c.id, force)
	if err == nil || errors.Is(err, container.ErrNotFound) {
		_ = shim.Done()
	}
	if errors.Is(err, container.ErrNotFound) {
		return nil
	}
	return err
}

// Update changes the limits of the running container: res merges into its
// recorded spec as spec.Merge does (nil fields keep their values, -1
// resets to unlimited), and every change lands or none does.
func (c *Container) Update(res spec.Resources) (*container.State, error) {
	return c.r.rt.Update(c.id, func(s *specs.Spec) error { return spec.Merge(s, &res, nil) })
}
