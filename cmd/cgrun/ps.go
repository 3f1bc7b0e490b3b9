package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list containers (running ones unless -a)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show stopped containers too"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print IDs only"},
			formatFlag("table or json"),
		},
		Action: psAction,
	}
}

// psEntry is one line of ps (one object of --format json).
type psEntry struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Status   string    `json:"status"`
	Running  bool      `json:"running"`
	ExitCode *int      `json:"exitCode,omitempty"`
	Pid      int       `json:"pid,omitempty"`
	Created  time.Time `json:"created"`
	Command  string    `json:"command"`
	Ports    []string  `json:"ports,omitempty"`
	Restarts int       `json:"restarts"`
}

func psAction(c *cli.Context) error {
	asJSON, err := jsonFormat(c)
	if err != nil {
		return err
	}
	rt, err := newRuntime(c)
	if err != nil {
		return err
	}
	all, err := rt.Store.List()
	if err != nil {
		return err
	}
	entries := []psEntry{}
	for _, st := range all {
		// a container nobody answers for any more (its runner and its
		// supervisor died) is settled first
		if st, _ = rt.Reconcile(st.ID); st == nil {
			continue
		}
		running := st.Status != container.StatusExited && rt.Running(st.ID)
		if !running && !c.Bool("all") {
			continue
		}
		e := psEntry{ID: st.ID, Name: st.Name, Status: statusText(rt, st), Running: running,
			ExitCode: st.ExitCode, Created: st.Created, Command: commandLine(st), Restarts: st.RestartCount}
		if running {
			e.Pid = st.Pid
		}
		if st.Network != nil {
			for _, p := range st.Network.Ports {
				e.Ports = append(e.Ports, p.String())
			}
		}
		entries = append(entries, e)
	}
	w := c.App.Writer
	switch {
	case c.Bool("quiet"):
		for _, e := range entries {
			fmt.Fprintln(w, container.ShortID(e.ID))
		}
	case asJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	default:
		tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
		fmt.Fprintln(tw, "CONTAINER ID\tNAME\tSTATUS\tCREATED\tPORTS\tCOMMAND")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%q\n", container.ShortID(e.ID), e.Name, e.Status,
				e.Created.Local().Format(time.DateTime), strings.Join(e.Ports, ", "), e.Command)
		}
		return tw.Flush()
	}
	return nil
}

// commandLine is a container's command line, "" while it is being created.
func commandLine(st *container.State) string {
	if st.Spec == nil || st.Spec.Process == nil {
		return ""
	}
	return strings.Join(st.Spec.Process.Args, " ")
}
