package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/spec"
)

// specCommand prints the OCI config.json built from the limit flags.
func specCommand() *cli.Command {
	return &cli.Command{
		Name:      "spec",
		Usage:     "print the OCI runtime config.json for the given options",
		ArgsUsage: "[COMMAND [ARG...]]",
		Flags: append(append(append(resourceFlags(), securityFlags()...), specProcessFlags()...),
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
			if err := specProcessOptions(c, o); err != nil {
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

// specProcessFlags are run's process flags that are spec fields alone
// (not --init, --label, --env-file).
func specProcessFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range processFlags() {
		switch f.Names()[0] {
		case flagInit, flagLabel, flagEnvFile:
		default:
			out = append(out, f)
		}
	}
	return out
}

// specProcessOptions reads them into o; a namespace can be host or
// private (a container: has no meaning in a printed spec).
func specProcessOptions(c *cli.Context, o *spec.Options) error {
	var req runner.Request
	if err := processRequest(c, &req); err != nil {
		return err
	}
	for t, mode := range req.Namespaces {
		if strings.HasPrefix(mode, runner.NetworkContainerPrefix) {
			return fmt.Errorf("invalid --%s %q: spec takes host or private", spec.NamespaceFlag(t), mode)
		}
	}
	o.Process = spec.Process{Ulimits: req.Process.Ulimits, ShmSize: req.ShmSize, Tmpfs: req.Tmpfs, Sysctls: req.Sysctls,
		Namespaces: req.Namespaces, DeviceRules: req.DeviceRules}
	o.Annotations = req.Annotations
	return nil
}
