package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/volume"
)

// volumeRmCommand removes a volume (and a provisioned volume's LUN).
func volumeRmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove a volume; a provisioned one loses its target, LUN and data",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			if err := volumeManager(c, volume.Options{}).Remove(c.Context, name); err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, name)
			return nil
		},
	}
}

// volumeReconcileCommand finishes or undoes steps a crashed cgrun left.
func volumeReconcileCommand() *cli.Command {
	return &cli.Command{
		Name:      "reconcile",
		Usage:     "finish or undo half-done attach steps and drop containers gone (all volumes, or NAME)",
		ArgsUsage: "[NAME]",
		Action: func(c *cli.Context) error {
			m := volumeManager(c, volume.Options{})
			if c.NArg() == 0 {
				return m.ReconcileAll(c.Context, runner.VolumeUserAlive)
			}
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			return m.Reconcile(c.Context, name, runner.VolumeUserAlive)
		},
	}
}
