package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/volume"
)

// volumeExpandCommand grows a thin volume online.
func volumeExpandCommand() *cli.Command {
	return &cli.Command{
		Name:      "expand",
		Usage:     "grow a thin volume online: its LV, and when attached here the disk, map and filesystem",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "size", Required: true, Usage: "the new size, e.g. 2G (volumes do not shrink)"},
		},
		Action: func(c *cli.Context) error {
			name, err := volumeName(c)
			if err != nil {
				return err
			}
			size, err := units.RAMInBytes(c.String("size"))
			if err != nil || size < 1<<20 {
				return fmt.Errorf("invalid --size %q: must be a size of at least 1m, e.g. 2G", c.String("size"))
			}
			n, err := volumeManager(c, volume.Options{}).Expand(c.Context, name, size)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s %d\n", name, n)
			return nil
		},
	}
}

// volumeSnapshotCommand snapshots a thin volume.
func volumeSnapshotCommand() *cli.Command {
	return &cli.Command{
		Name:      "snapshot",
		Usage:     "snapshot a thin volume (copy-on-write, ready at once; a volume mounted here is frozen for it)",
		ArgsUsage: "NAME SNAPSHOT",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "pause-after", Hidden: true, Usage: "testing: stop for good after this step (frozen)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("%q needs a volume NAME and a SNAPSHOT name, got %d arguments", "volume snapshot", c.NArg())
			}
			name, snap := c.Args().Get(0), c.Args().Get(1)
			if err := volume.ValidName(name); err != nil {
				return err
			}
			if err := volume.ValidName(snap); err != nil {
				return fmt.Errorf("invalid snapshot name %q: must be 1-64 of [a-zA-Z0-9_.-] starting with a letter or digit", snap)
			}
			sn, err := volumeManager(c, volume.Options{AfterStep: volumePauseAfter(c)}).TakeSnapshot(c.Context, name, snap, "")
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, sn.Name)
			return nil
		},
	}
}

// volumeSnapshotsCommand lists the snapshots.
func volumeSnapshotsCommand() *cli.Command {
	return &cli.Command{
		Name:  "snapshots",
		Usage: "list the snapshots of thin volumes",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Usage: "table or json"}},
		Action: func(c *cli.Context) error {
			f := c.String("format")
			if f != "" && f != "table" && f != "json" {
				return fmt.Errorf("invalid --format %q: must be table or json", f)
			}
			sns, err := volumeManager(c, volume.Options{}).Store().Snapshots()
			if err != nil {
				return err
			}
			if f == "json" {
				if sns == nil {
					sns = []*volume.Snapshot{}
				}
				return json.NewEncoder(c.App.Writer).Encode(sns)
			}
			w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SNAPSHOT\tVOLUME\tSIZE\tPOOL\tCREATED")
			for _, s := range sns {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Volume, units.BytesSize(float64(s.SizeBytes)), s.ThinPool, s.CreatedAt.Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
}

// volumeSnapshotRmCommand deletes snapshots.
func volumeSnapshotRmCommand() *cli.Command {
	return &cli.Command{
		Name:      "snapshot-rm",
		Usage:     "delete snapshots (volumes made from them stay)",
		ArgsUsage: "SNAPSHOT...",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return fmt.Errorf("%q needs at least one SNAPSHOT", "volume snapshot-rm")
			}
			for _, s := range c.Args().Slice() {
				if err := volume.ValidName(s); err != nil {
					return fmt.Errorf("invalid snapshot name %q: must be 1-64 of [a-zA-Z0-9_.-] starting with a letter or digit", s)
				}
			}
			m := volumeManager(c, volume.Options{})
			for _, s := range c.Args().Slice() {
				if _, err := m.Store().GetSnapshot(s); err != nil {
					return err
				}
				if err := m.DeleteSnapshot(c.Context, s); err != nil {
					return err
				}
				fmt.Fprintln(c.App.Writer, s)
			}
			return nil
		},
	}
}
