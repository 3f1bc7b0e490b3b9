package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

func waitCommand() *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait for containers to end and print their exit codes",
		ArgsUsage: "CONTAINER...",
		Action: func(c *cli.Context) error {
			return eachContainer(c, func(rt *container.Runtime, id string) error {
				st, err := rt.Wait(id, 0)
				if err != nil {
					return err
				}
				if st.ExitCode == nil {
					return fmt.Errorf("container %s ended without a recorded exit code", container.ShortID(id))
				}
				fmt.Fprintln(c.App.Writer, *st.ExitCode)
				return nil
			})
		},
	}
}
