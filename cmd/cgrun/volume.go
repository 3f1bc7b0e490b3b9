package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/volume"
)

// volumeCommand is the `cgrun volume` group: register or provision iSCSI
// volumes, publish them to initiators, list, inspect, remove, reconcile.
func volumeCommand() *cli.Command {
	return &cli.Command{
		Name:  "volume",
		Usage: "manage iSCSI block volumes, their growth and snapshots",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "state-dir", Value: volume.DefaultStateDir, EnvVars: []string{"CGRUN_VOLUME_DIR"},
				Usage: "directory of the volume registry and attach state"},
		},
		Subcommands: []*cli.Command{
			volumeCreateCommand(),
			volumeLsCommand(),
			volumeInspectCommand(),
			volumePublishCommand(),
			volumeUnpublishCommand(),
			volumeRmCommand(),
			volumeReconcileCommand(),
			volumeAttachCommand(),
			volumeDetachCommand(),
			volumeExpandCommand(),
			volumeSnapshotCommand(),
			volumeSnapshotsCommand(),
			volumeSnapshotRmCommand(),
		},
	}
}

// volumeManager builds the volume manager of the command's state dir.
func volumeManager(c *cli.Context, opts volume.Options) *volume.Manager {
	opts.StateDir = c.String("state-dir")
	if opts.StateDir == "" {
		opts.StateDir = os.Getenv("CGRUN_VOLUME_DIR")
	}
	return volume.NewManager(opts)
}

// volumeName returns the single NAME argument.
func volumeName(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("%q needs exactly one volume NAME, got %d arguments", "volume "+c.Command.Name, c.NArg())
	}
	name := c.Args().First()
	if err := volume.ValidName(name); err != nil {
		return "", err
	}
	return name, nil
}
