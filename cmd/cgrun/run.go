package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/runner"
)

// Flags of run that are not limits.
const (
	flagName         = "name"
	flagRm           = "rm"
	flagDetach       = "detach"
	flagTTY          = "tty"
	flagInteractive  = "interactive"
	flagEnv          = "env"
	flagWorkdir      = "workdir"
	flagUser         = "user"
	flagHostname     = "hostname"
	flagReadOnly     = "read-only"
	flagVolume       = "volume"
	flagDevice       = "device"
	flagCgroupParent = "cgroup-parent"
	flagRootfs       = "rootfs"
	flagEntrypoint   = "entrypoint"
	flagRestart      = "restart"
	flagLogDriver    = "log-driver"
	flagLogOpt       = "log-opt"
)

const catContainer = "Container"

func runCommand() *cli.Command {
	vols := newRunVolumes() // the block IO flags resolve volume names through it
	return &cli.Command{
		Name:                   "run",
		Usage:                  "run a command in a new container",
		ArgsUsage:              "(--rootfs DIR | IMAGE) [COMMAND [ARG...]]",
		UseShortOptionHandling: true,
		Flags:                  slices.Concat(runFlags(), pullFlags(), processFlags(), networkFlags(), securityFlags(), resourceFlagsWith(vols.devices)),
		Action:                 func(c *cli.Context) error { return runAction(c, vols) },
	}
}

func runFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagName, Usage: "container name (default: the short ID)", Category: catContainer},
		&cli.BoolFlag{Name: flagRm, Usage: "remove the container when it exits", Category: catContainer},
		&cli.BoolFlag{Name: flagDetach, Aliases: []string{"d"}, Usage: "run in the background and print the container ID", Category: catContainer},
		&cli.BoolFlag{Name: flagTTY, Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal", Category: catContainer},
		&cli.BoolFlag{Name: flagInteractive, Aliases: []string{"i"}, Usage: "keep stdin open", Category: catContainer},
		&cli.StringSliceFlag{Name: flagEnv, Aliases: []string{"e"}, Usage: "set environment variable KEY=VALUE (KEY alone: the host's value)", Category: catContainer},
		&cli.StringFlag{Name: flagWorkdir, Aliases: []string{"w"}, Usage: "working directory inside the container (absolute)", Category: catContainer},
		&cli.StringFlag{Name: flagUser, Aliases: []string{"u"}, Usage: "user as NAME|UID[:GROUP|GID]", Category: catContainer},
		&cli.StringFlag{Name: flagHostname, Usage: "container host name", Category: catContainer},
		&cli.BoolFlag{Name: flagReadOnly, Usage: "mount the root filesystem read-only", Category: catContainer},
		&cli.StringSliceFlag{Name: flagVolume, Aliases: []string{"v"}, Usage: "bind mount HOSTDIR:CTRDIR[:ro], or attach volume VOLUME:CTRDIR[:ro] (repeatable)", Category: catContainer},
		&cli.GenericFlag{Name: flagMount, Value: &mountValues{}, Usage: "mount type=volume|bind,source=SRC,target=DST[,readonly] (repeatable)", Category: catContainer},
		&cli.StringSliceFlag{Name: flagDevice, Usage: "add a host device HOSTDEV[:CTRDEV[:rwm]] (repeatable)", Category: catContainer},
		&cli.StringFlag{Name: flagCgroupParent, Value: container.DefaultCgroupParent, EnvVars: []string{"CGRUN_CGROUP_PARENT"}, Usage: "parent cgroup; the container's cgroup is PARENT/ID", Category: catContainer},
		&cli.StringFlag{Name: flagRootfs, Usage: "root filesystem directory (instead of IMAGE)", Category: catContainer},
		&cli.StringFlag{Name: flagEntrypoint, Usage: "override the image's entrypoint (\"\" clears it)", Category: catContainer},
		&cli.StringFlag{Name: flagRestart, Value: "no", Usage: "restart policy of a detached container: no, on-failure[:N], always, unless-stopped", Category: catContainer},
		&cli.StringFlag{Name: flagLogDriver, Usage: "how a detached container's output is kept: json-file (default) or none", Category: catContainer},
		&cli.StringSliceFlag{Name: flagLogOpt, Usage: "json-file's bounds: max-size=SIZE (default 10m, -1 none), max-file=N (default 3); repeatable or comma-separated", Category: catContainer},
		&cli.StringFlag{Name: flagPauseAfter, Hidden: true, EnvVars: []string{runner.PauseEnv}, Usage: "testing: stop for good after this step (runner.Options.AfterStep)"},
	}
}

// flagPauseAfter is the crash tests' hook: run stops for good after a
// step, so the test can SIGKILL it there.
const flagPauseAfter = "pause-after"

// pauseAfter is the runner's AfterStep for --pause-after.
func pauseAfter(c *cli.Context) func(string) { return runner.PauseAfter(c.String(flagPauseAfter)) }

// runAction translates the command line into a request, has the runner
// create the container, and starts it: in the foreground with cgrun's
// stdio or terminal, forwarding signals and exiting with its code, or
// detached, printing its ID.
func runAction(c *cli.Context, vols *runVolumes) error {
	var sigs *signalForwarder
	detach := c.Bool(flagDetach)
	if !detach {
		// caught from here on (or since main), held until the container's
		// process exists
		sigs = forwardSignalsSoon()
		// Ctrl-C before the container's process exists stops the run.
		ctx, cancel := context.WithCancelCause(c.Context)
		defer cancel(nil)
		sigs.onInterrupt(func(s os.Signal) { cancel(interruptedError{sig: s.(unix.Signal)}) })
		c.Context = ctx
	} else if early := takeEarlySignals(); early != nil {
		early.keepDefaults()
	}
	req, err := runRequest(c, vols)
	if err != nil {
		return err
	}
	var con *ttyConsole
	if !detach {
		req.IO = stdio(c.Bool(flagInteractive))
		if req.Process.Terminal {
			if con, err = newConsole(c.Bool(flagInteractive)); err != nil {
				return err
			}
			defer con.close()
			req.IO = container.IO{ConsoleSocket: con.socket()}
		}
	}
	r, err := newRunner(c, newPullProgress(c.App.ErrWriter, true))
	if err != nil {
		return err
	}
	ctr, err := r.Create(c.Context, req)
	if err != nil {
		return vols.flagError(orInterruption(c.Context, err))
	}
	if detach {
		if err := ctr.Start(c.Context); err != nil {
			return startErr(err)
		}
		fmt.Fprintln(c.App.Writer, ctr.ID())
		return nil
	}
	sigs.wait() // every signal caught before the start, so none is lost meanwhile
	if err := ctr.Start(c.Context); err != nil {
		return startErr(orInterruption(c.Context, err))
	}
	return attachAndWait(runningContainer{ctr}, con, sigs)
}

// orInterruption is err, or the interruption that cancelled ctx (the real
// cause of an error that a cancelled pull or attach returned).
func orInterruption(ctx context.Context, err error) error {
	if ie := interruption(ctx); ie != nil {
		return ie
	}
	return err
}
