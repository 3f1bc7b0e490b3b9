package main

import (
	"context"
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/container"
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
)

const catContainer = "Container"

func runCommand() *cli.Command {
	vols := newRunVolumes() // the block IO flags resolve volume names through it
	return &cli.Command{
		Name:                   "run",
		Usage:                  "run a command in a new container",
		ArgsUsage:              "(--rootfs DIR | IMAGE) [COMMAND [ARG...]]",
		UseShortOptionHandling: true,
		Flags:                  append(runFlags(), resourceFlagsWith(vols.devices)...),
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
		&cli.StringFlag{Name: flagCgroupParent, Value: container.DefaultCgroupParent, Usage: "parent cgroup; the container's cgroup is PARENT/ID", Category: catContainer},
		&cli.StringFlag{Name: flagRootfs, Usage: "root filesystem directory (instead of IMAGE)", Category: catContainer},
		&cli.StringFlag{Name: flagEntrypoint, Usage: "override the image's entrypoint (\"\" clears it)", Category: catContainer},
	}
}

func runAction(c *cli.Context, vols *runVolumes) error {
	var sigs *signalForwarder
	if !c.Bool(flagDetach) {
		// caught from here on (or since main), held until the container's
		// process exists
		sigs = forwardSignalsSoon()
	} else if early := takeEarlySignals(); early != nil {
		early.keepDefaults()
	}
	if sigs != nil {
		// Ctrl-C before the container's process exists stops the run.
		ctx, cancel := context.WithCancelCause(c.Context)
		defer cancel(nil)
		sigs.onInterrupt(func(s os.Signal) { cancel(interruptedError{sig: s.(unix.Signal)}) })
		c.Context = ctx
	}
	rt, err := newRuntime(c, c.String(flagCgroupParent))
	if err != nil {
		return err
	}
	cfg, err := runConfig(c, vols)
	if err != nil {
		return orInterruption(c.Context, err)
	}
	st, err := rt.Prepare(*cfg)
	if err != nil {
		_ = rt.ReleaseUnused(cfg.Releases)
		return err
	}
	if len(vols.refs) > 0 {
		id := st.ID
		if st, err = vols.attach(c.Context, rt, id); err != nil {
			return startFailed(rt, id, orInterruption(c.Context, err))
		}
	}
	if cfg.Detached {
		return runDetached(c, rt, st)
	}
	return runForeground(c.Context, rt, st, sigs, c.Bool(flagInteractive))
}

// orInterruption is err, or the interruption that cancelled ctx (the real
// cause of an error that a cancelled pull or attach returned).
func orInterruption(ctx context.Context, err error) error {
	if ie := interruption(ctx); ie != nil {
		return ie
	}
	return err
}
