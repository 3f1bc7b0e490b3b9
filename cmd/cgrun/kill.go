package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/container"
)

func killCommand() *cli.Command {
	return &cli.Command{
		Name:      "kill",
		Usage:     "send a signal to containers' processes",
		ArgsUsage: "CONTAINER...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL", Usage: "signal name (TERM, SIGTERM) or number"},
		},
		Action: func(c *cli.Context) error {
			sig, err := parseSignal(c.String("signal"))
			if err != nil {
				return err
			}
			return eachContainer(c, func(rt *container.Runtime, id string) error {
				if err := rt.Kill(id, sig); err != nil {
					return err
				}
				fmt.Fprintln(c.App.Writer, container.ShortID(id))
				return nil
			})
		},
	}
}

// parseSignal reads TERM, SIGTERM or 15.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid --signal %q: must be a signal number 1..64 or a name", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig := unix.SignalNum(name)
	if sig == 0 {
		return 0, fmt.Errorf("invalid --signal %q: unknown signal name", s)
	}
	return sig, nil
}
