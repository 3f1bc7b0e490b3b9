package main

import (
	"errors"
	"fmt"
	"path"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/runner"
)

func execCommand() *cli.Command {
	return &cli.Command{
		Name:                   "exec",
		Usage:                  "run a command in a running container",
		ArgsUsage:              "CONTAINER COMMAND [ARG...]",
		UseShortOptionHandling: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: flagTTY, Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
			&cli.BoolFlag{Name: flagInteractive, Aliases: []string{"i"}, Usage: "keep stdin open"},
			&cli.StringSliceFlag{Name: flagEnv, Aliases: []string{"e"}, Usage: "set environment variable KEY=VALUE"},
			&cli.StringFlag{Name: flagWorkdir, Aliases: []string{"w"}, Usage: "working directory (absolute)"},
			&cli.StringFlag{Name: flagUser, Aliases: []string{"u"}, Usage: "user as NAME|UID[:GROUP|GID]"},
		},
		Action: execAction,
	}
}

func execAction(c *cli.Context) error {
	if c.NArg() < 2 {
		return errors.New(`"exec" needs a CONTAINER and a COMMAND`)
	}
	rt, err := newRuntime(c)
	if err != nil {
		return err
	}
	id, err := rt.Store.Resolve(c.Args().First())
	if err != nil {
		return err
	}
	st, err := rt.Store.Load(id)
	if err != nil {
		return err
	}
	if st.Spec == nil { // still being created
		return fmt.Errorf("%w: %s", container.ErrNotRunning, container.ShortID(id))
	}
	p := *st.Spec.Process // the container's process, with this command
	p.Args = c.Args().Slice()[1:]
	p.Terminal = c.Bool(flagTTY)
	env, err := envOptions(c.StringSlice(flagEnv))
	if err != nil {
		return err
	}
	p.Env = append(append([]string(nil), p.Env...), env...)
	if w := c.String(flagWorkdir); w != "" {
		if !path.IsAbs(w) {
			return fmt.Errorf("invalid --workdir %q: must be an absolute path", w)
		}
		p.Cwd = w
	}
	if u := c.String(flagUser); u != "" {
		if p.User, err = runner.ResolveUser(st.Spec.Root.Path, u); err != nil {
			return fmt.Errorf("invalid --user %q: %v", u, err)
		}
	}

	sigs := forwardSignals()
	pio := stdio(c.Bool(flagInteractive))
	var con *ttyConsole
	if p.Terminal {
		if con, err = newConsole(c.Bool(flagInteractive)); err != nil {
			return err
		}
		defer con.close()
		pio = container.IO{ConsoleSocket: con.socket()}
	}
	proc, err := rt.Exec(id, &p, pio)
	if err != nil {
		return startErr(err)
	}
	return attachAndWait(proc, con, sigs)
}
