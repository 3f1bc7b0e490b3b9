package main

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/spec"
)

// Limit flags `cgrun update` refuses: they are no cgroup limit, or no
// libcontainer write could undo them.
var notUpdatable = map[string]string{
	flagOOMKillDisable: "cannot be changed on a running container",
	flagOOMScoreAdj:    "cannot be changed on a running container (it is the process's, not the cgroup's)",
}

func updateCommand() *cli.Command {
	return &cli.Command{
		Name:  "update",
		Usage: "change the limits of running containers (all changes land, or none)",
		Description: "Limits not given keep their values. -1 resets --memory, --memory-swap and\n" +
			"--cpu-quota to unlimited (--pids-limit: 0 or -1). On any failure the old limits are\n" +
			"restored and the exit code is 125.",
		ArgsUsage: "CONTAINER...",
		Flags:     updateFlags(),
		Action:    updateAction,
	}
}

// updateFlags are run's resource flags, with --memory also taking -1.
// Those update refuses (notUpdatable, --kernel-memory) are parsed, to
// refuse them by name, and hidden from its help.
func updateFlags() []cli.Flag {
	flags := resourceFlags()
	for _, f := range flags {
		switch f := f.(type) {
		case *cli.GenericFlag:
			if f.Name == flagMemory {
				if b, ok := f.Value.(*spec.Bytes); ok {
					b.Unlimited = true
				}
				f.Usage = "memory limit (e.g. 100m; at least 4m), -1 unlimited"
			}
			_, refused := notUpdatable[f.Name]
			f.Hidden = refused || f.Name == flagKernelMemory
		case *cli.BoolFlag:
			_, refused := notUpdatable[f.Name]
			f.Hidden = refused
		}
	}
	return flags
}

func updateAction(c *cli.Context) error {
	if c.IsSet(flagOOMKillDisable) {
		return &spec.FlagError{Flag: flagOOMKillDisable, Value: fmt.Sprint(c.Bool(flagOOMKillDisable)), Rule: notUpdatable[flagOOMKillDisable]}
	}
	if c.IsSet(flagOOMScoreAdj) {
		return &spec.FlagError{Flag: flagOOMScoreAdj, Value: fmt.Sprint(c.Generic(flagOOMScoreAdj)), Rule: notUpdatable[flagOOMScoreAdj]}
	}
	var res spec.Resources
	if err := resourceOptions(c, &res); err != nil {
		return err
	}
	if !anyLimit(c) {
		return errors.New(`"update" needs at least one limit flag`)
	}
	host := spec.ProbeHost()
	return eachContainer(c, func(rt *container.Runtime, id string) error {
		st, err := rt.Update(id, func(s *specs.Spec) error { return spec.Merge(s, &res, host) })
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, st.Name)
		return nil
	})
}

func anyLimit(c *cli.Context) bool {
	for _, f := range resourceFlags() {
		if c.IsSet(f.Names()[0]) {
			return true
		}
	}
	return false
}
