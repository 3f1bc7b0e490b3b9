package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/volume"
)

func initiatorFlag() cli.Flag {
	return &cli.StringFlag{Name: "initiator", Usage: "initiator IQN (default: this node's, from /etc/iscsi/initiatorname.iscsi)"}
}

func initiatorOf(c *cli.Context) (string, error) {
	if i := c.String("initiator"); i != "" {
		return i, nil
	}
	return volume.LocalInitiator("/")
}

// volumePublishCommand maps a provisioned volume's LUN to an initiator.
func volumePublishCommand() *cli.Command {
	return initiatorCommand("publish", "make a provisioned volume visible to one initiator (LUN masking, CHAP)",
		(*volume.Manager).Publish)
}

// volumeUnpublishCommand removes an initiator from a provisioned volume.
func volumeUnpublishCommand() *cli.Command {
	return initiatorCommand("unpublish", "hide a provisioned volume from an initiator (after it detached)",
		(*volume.Manager).Unpublish)
}

// initiatorCommand is a volume command NAME [--initiator IQN] that applies
// op to the volume and the initiator (this node's by default).
func initiatorCommand(name, usage string, op func(*volume.Manager, context.Context, string, string) error) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "NAME",
		Flags:     []cli.Flag{initiatorFlag()},
		Action: func(c *cli.Context) error {
			vol, err := volumeName(c)
			if err != nil {
				return err
			}
			ini, err := initiatorOf(c)
			if err != nil {
				return err
			}
			return op(volumeManager(c, volume.Options{}), c.Context, vol, ini)
		},
	}
}
