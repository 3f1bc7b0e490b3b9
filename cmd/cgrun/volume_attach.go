package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/volume"
)

// volumeAttachCommand is plumbing: stage a volume on this node for a user
// (a container ID) and print where it is. `cgrun run -v` does the same.
func volumeAttachCommand() *cli.Command {
	return &cli.Command{
		Name:      "attach",
		Usage:     "plumbing: attach a volume on this node for --user and print its staging path or device",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "user", Required: true, Usage: "container ID using the volume"},
			&cli.BoolFlag{Name: "read-only", Usage: "attach read-only (never formats)"},
			&cli.DurationFlag{Name: "device-timeout", Value: 60 * time.Second, Usage: "how long to wait for the disk"},
			&cli.StringFlag{Name: "pause-after", Hidden: true, Usage: "testing: stop after recording this phase"},
		},
		Action: func(c *cli.Context) error {
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			opts := volume.Options{DeviceTimeout: c.Duration("device-timeout"), AfterStep: volumePauseAfter(c)}
			e, err := volumeManager(c, opts).Attach(c.Context, name, c.String("user"), c.Bool("read-only"))
			if err != nil {
				return err
			}
			if e.Mode == volume.ModeBlock {
				fmt.Fprintf(c.App.Writer, "%s %d:%d\n", e.Device, e.Major, e.Minor)
			} else {
				fmt.Fprintln(c.App.Writer, e.Source)
			}
			return nil
		},
	}
}

// volumeDetachCommand is plumbing: release a user's attachment.
func volumeDetachCommand() *cli.Command {
	return &cli.Command{
		Name:      "detach",
		Usage:     "plumbing: detach a volume for --user (unstage when no user is left)",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "user", Required: true, Usage: "container ID using the volume"},
			&cli.StringFlag{Name: "pause-after", Hidden: true, Usage: "testing: stop after this step"},
		},
		Action: func(c *cli.Context) error {
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			return volumeManager(c, volume.Options{AfterStep: volumePauseAfter(c)}).Detach(c.Context, name, c.String("user"))
		},
	}
}

// volumePauseAfter is the hidden --pause-after of attach and detach (the fault
// tests): say "paused after STEP" and stop there, for a SIGKILL.
func volumePauseAfter(c *cli.Context) func(volume.Phase) {
	p := volume.Phase(c.String("pause-after"))
	if p == "" {
		return nil
	}
	return func(got volume.Phase) {
		if got == p {
			fmt.Fprintf(c.App.ErrWriter, "paused after %s\n", p)
			select {}
		}
	}
}
