package main

import (
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/image"
)

// Global flags shared by every command.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "root", Value: "/run/cgrun", Usage: "directory for container state"},
		&cli.StringFlag{Name: flagImageStore, Value: image.DefaultRoot, Usage: "directory of the image store (blobs, layers, rootfs mounts)"},
	}
}
