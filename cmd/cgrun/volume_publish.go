package main

import (
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
	return &cli.Command{
		Name:      "publish",
		Usage:     "make a provisioned volume visible to one initiator (LUN masking, CHAP)",
		ArgsUsage: "NAME",
		Flags:     []cli.Flag{initiatorFlag()},
		Action: func(c *cli.Context) error {
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			ini, err := initiatorOf(c)
			if err != nil {
				return err
			}
			return volumeManager(c, volume.Options{}).Publish(c.Context, name, ini)
		},
	}
}

// volumeUnpublishCommand removes an initiator from a provisioned volume.
func volumeUnpublishCommand() *cli.Command {
	return &cli.Command{
		Name:      "unpublish",
		Usage:     "hide a provisioned volume from an initiator (after it detached)",
		ArgsUsage: "NAME",
		Flags:     []cli.Flag{initiatorFlag()},
		Action: func(c *cli.Context) error {
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			ini, err := initiatorOf(c)
			if err != nil {
				return err
			}
			return volumeManager(c, volume.Options{}).Unpublish(c.Context, name, ini)
		},
	}
}
