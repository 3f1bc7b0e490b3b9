package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/logs"
)

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "print the output of a detached container (stdout to stdout, stderr to stderr)",
		ArgsUsage: "CONTAINER",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing until the container ends"},
			&cli.StringFlag{Name: "tail", Aliases: []string{"n"}, Value: "all", Usage: "print the last N lines only"},
			&cli.StringFlag{Name: "since", Usage: "lines since a time (2026-01-02T15:04:05Z, a Unix time, or a duration before now: 10m)"},
			&cli.StringFlag{Name: "until", Usage: "lines until a time (as --since)"},
			&cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}, Usage: "prefix each line with its time"},
		},
		Action: logsAction,
	}
}

func logsAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New(`"logs" needs exactly one CONTAINER`)
	}
	o := logs.ReadOptions{Tail: -1, Follow: c.Bool("follow"), Timestamps: c.Bool("timestamps")}
	if t := c.String("tail"); t != "all" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return fmt.Errorf("invalid --tail %q: must be a number of lines or all", t)
		}
		o.Tail = n
	}
	now := time.Now()
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"since", &o.Since}, {"until", &o.Until}} {
		if v := c.String(f.name); v != "" {
			t, err := logs.ParseTime(v, now)
			if err != nil {
				return fmt.Errorf("invalid --%s %q: %v", f.name, v, err)
			}
			*f.to = t
		}
	}
	rt, err := newRuntime(c)
	if err != nil {
		return err
	}
	id, err := rt.Store.Resolve(c.Args().First())
	if err != nil {
		return err
	}
	st, err := rt.Store.Load(id)
	if err != nil {
		return err
	}
	switch {
	case st.Log == nil:
		return fmt.Errorf("container %s has no log: only detached containers (run -d) log", container.ShortID(id))
	case st.Log.Driver != logs.DriverJSONFile || st.LogDir == "":
		return fmt.Errorf("container %s logs with driver %s, which keeps nothing to read", container.ShortID(id), st.Log.Driver)
	}
	o.Running = func() bool { return rt.Running(id) }
	return logs.Read(c.Context, st.LogDir, o, c.App.Writer, c.App.ErrWriter)
}
