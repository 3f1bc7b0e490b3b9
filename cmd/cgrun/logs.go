package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "print the output (stdout and stderr) of a detached container",
		ArgsUsage: "CONTAINER",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing until the container ends"},
		},
		Action: logsAction,
	}
}

func logsAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New(`"logs" needs exactly one CONTAINER`)
	}
	rt, err := newRuntime(c)
	if err != nil {
		return err
	}
	id, err := rt.Store.Resolve(c.Args().First())
	if err != nil {
		return err
	}
	f, err := os.Open(rt.Store.LogPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("container %s has no log: only detached containers (run -d) log", container.ShortID(id))
	}
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		if _, err := io.Copy(c.App.Writer, f); err != nil {
			return err
		}
		if !c.Bool("follow") || !rt.Running(id) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, err = io.Copy(c.App.Writer, f) // what came between the last copy and the end
	return err
}
