package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/volume"
)

// volumeLsCommand lists the registered volumes and their attach state.
func volumeLsCommand() *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list volumes",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "names only"}},
		Action: func(c *cli.Context) error {
			s := volumeManager(c, volume.Options{}).Store()
			names, err := s.List()
			if err != nil {
				return err
			}
			if c.Bool("quiet") {
				for _, n := range names {
					fmt.Fprintln(c.App.Writer, n)
				}
				return nil
			}
			w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tMODE\tFS\tPORTAL\tIQN\tLUN\tSTATE\tUSERS")
			for _, n := range names {
				v, err := s.Get(n)
				if err != nil {
					return err
				}
				a, err := s.Attachment(n)
				if err != nil {
					return err
				}
				state, users := "detached", 0
				if a != nil {
					state, users = string(a.Phase), len(a.Users)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\n", v.Name, v.Mode, v.FS, strings.Join(v.AllPortals(), ","), v.IQN, v.LUN, state, users)
			}
			return w.Flush()
		},
	}
}

// volumeInspectCommand prints a volume's registry entry and attach state
// as JSON (secret file paths only, never secrets), with its paths' states
// when attached.
func volumeInspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "print a volume and its attach state as JSON",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			m := volumeManager(c, volume.Options{})
			s := m.Store()
			v, err := s.Get(name)
			if err != nil {
				return err
			}
			a, err := s.Attachment(name)
			if err != nil {
				return err
			}
			// The paths as the kernel sees them now: each session's
			// state and, on a multipath volume, each path's state in
			// its map.
			paths, err := m.Paths(c.Context, name)
			if err != nil {
				return err
			}
			out, err := json.MarshalIndent(struct {
				*volume.Volume
				Attachment *volume.Attachment `json:"attachment"`
				Paths      []volume.PathInfo  `json:"paths,omitempty"`
			}{v, a, paths}, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, string(out))
			return nil
		},
	}
}
