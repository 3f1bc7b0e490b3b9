package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove containers, releasing their cgroup, mounts and state",
		ArgsUsage: "CONTAINER...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running container first"},
		},
		Action: func(c *cli.Context) error {
			return eachContainer(c, func(rt *container.Runtime, id string) error {
				if err := rt.Remove(id, c.Bool("force")); err != nil {
					return err
				}
				fmt.Fprintln(c.App.Writer, container.ShortID(id))
				return nil
			})
		},
	}
}
