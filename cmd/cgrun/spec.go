package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/spec"
)

// specCommand prints the OCI config.json built from the limit flags.
func specCommand() *cli.Command {
	return &cli.Command{
		Name:      "spec",
		Usage:     "print the OCI runtime config.json for the given options",
		ArgsUsage: "[COMMAND [ARG...]]",
		Flags: append(append(resourceFlags(), securityFlags()...),
			&cli.StringFlag{Name: "rootfs", Value: "rootfs", Usage: "root filesystem directory of the bundle"},
			&cli.StringFlag{Name: "cgroups-path", Usage: "cgroup path of the container, e.g. /cgrun/ID"},
			&cli.StringFlag{Name: "hostname", Usage: "container host name (default cgrun)"},
			&cli.BoolFlag{Name: "read-only", Usage: "mount the root filesystem read-only"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a terminal"},
		),
		Action: func(c *cli.Context) error {
			o := &spec.Options{
				Args:           c.Args().Slice(),
				RootfsPath:     c.String("rootfs"),
				CgroupsPath:    c.String("cgroups-path"),
				Hostname:       c.String("hostname"),
				ReadonlyRootfs: c.Bool("read-only"),
				Terminal:       c.Bool("tty"),
			}
			if err := resourceOptions(c, &o.Resources); err != nil {
				return err
			}
			var err error
			if o.Security, err = securityOptions(c); err != nil {
				return err
			}
			s, err := spec.Generate(o)
			if err != nil {
				return err
			}
			for _, w := range spec.Warnings(&o.Resources) {
				fmt.Fprintf(c.App.ErrWriter, "cgrun: warning: %s\n", w)
			}
			out, err := json.MarshalIndent(s, "", "\t")
			if err != nil {
				return fmt.Errorf("encode spec: %w", err)
			}
			_, err = fmt.Fprintf(c.App.Writer, "%s\n", out)
			return err
		},
	}
}
