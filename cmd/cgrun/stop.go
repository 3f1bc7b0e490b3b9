package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

func stopCommand() *cli.Command {
	return &cli.Command{
		Name:      "stop",
		Usage:     "stop containers: SIGTERM, then SIGKILL after the grace period",
		ArgsUsage: "CONTAINER...",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Value: 10, Usage: "seconds to wait before SIGKILL"},
		},
		Action: func(c *cli.Context) error {
			grace := c.Int("time")
			if grace < 0 {
				return fmt.Errorf("invalid --time %d: must be at least 0", grace)
			}
			return eachContainer(c, func(rt *container.Runtime, id string) error {
				if err := rt.Stop(id, time.Duration(grace)*time.Second); err != nil {
					return err
				}
				fmt.Fprintln(c.App.Writer, container.ShortID(id))
				return nil
			})
		},
	}
}
