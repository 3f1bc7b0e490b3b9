package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
)

// statsInterval is the refresh period and the CPU % window.
const statsInterval = time.Second

func statsCommand() *cli.Command {
	return &cli.Command{
		Name:      "stats",
		Usage:     "show running containers' CPU, memory, block I/O and pids usage (all running ones without names)",
		ArgsUsage: "[CONTAINER...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-stream", Usage: "print one result (CPU % over one second) and exit"},
			formatFlag("table, or json (one array of objects with raw bytes and ns)"),
		},
		Action: statsAction,
	}
}

// statsTarget is a container stats follows.
type statsTarget struct {
	id, name string
	paths    cgroup.Paths
}

func statsAction(c *cli.Context) error {
	asJSON, err := jsonFormat(c)
	if err != nil {
		return err
	}
	rt, err := newRuntime(c)
	if err != nil {
		return err
	}
	var ids []string
	for _, ref := range c.Args().Slice() {
		id, err := rt.Store.Resolve(ref)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	ctx, stop := signal.NotifyContext(context.Background(), unix.SIGINT, unix.SIGTERM)
	defer stop()
	hostMem := hostMemory()
	w := c.App.Writer
	tty := isTerminal(w)
	prev := map[string]statsSample{}
	for first := true; ; first = false {
		targets, err := statsTargets(rt, ids)
		if err != nil {
			return err
		}
		if len(ids) > 0 && len(targets) == 0 {
			return fmt.Errorf("%w: %s", container.ErrNotRunning, c.Args().First())
		}
		cur := sampleAll(rt, targets, c.App.ErrWriter)
		if first {
			// CPU % needs a window: wait one interval before the first row.
			if !sleepCtx(ctx, statsInterval) {
				return nil
			}
			prev, cur = cur, sampleAll(rt, targets, c.App.ErrWriter)
		}
		rows := []statsEntry{}
		for _, t := range targets {
			s, ok := cur[t.id]
			if !ok {
				continue
			}
			p, ok := prev[t.id]
			if !ok {
				p = s
			}
			rows = append(rows, newStatsEntry(t.id, t.name, p, s, hostMem))
		}
		prev = cur
		if err := writeStats(w, rows, asJSON, tty && !c.Bool("no-stream")); err != nil {
			return err
		}
		if c.Bool("no-stream") || !sleepCtx(ctx, statsInterval) {
			return nil
		}
	}
}

func writeStats(w io.Writer, rows []statsEntry, asJSON, clear bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(rows)
	}
	if clear {
		fmt.Fprint(w, "\033[2J\033[H")
	}
	return renderStatsTable(w, rows)
}

// statsTargets are the named containers that run, or every running one.
func statsTargets(rt *container.Runtime, ids []string) ([]statsTarget, error) {
	var sts []*container.State
	if len(ids) == 0 {
		all, err := rt.Store.List()
		if err != nil {
			return nil, err
		}
		sts = all
	} else {
		for _, id := range ids {
			st, err := rt.Store.Load(id)
			if err != nil {
				continue // removed meanwhile
			}
			sts = append(sts, st)
		}
	}
	var out []statsTarget
	for _, st := range sts {
		if st.Status == container.StatusRunning && len(st.CgroupPaths) > 0 && rt.Running(st.ID) {
			out = append(out, statsTarget{id: st.ID, name: st.Name, paths: cgroup.Paths(st.CgroupPaths)})
		}
	}
	return out, nil
}

// sampleAll reads every target's cgroup; one that ended meanwhile is left
// out, one still running whose cgroup cannot be read is reported on errw.
func sampleAll(rt *container.Runtime, ts []statsTarget, errw io.Writer) map[string]statsSample {
	out := map[string]statsSample{}
	for _, t := range ts {
		s, err := cgroup.ReadStats(t.paths)
		switch {
		case err == nil:
			out[t.id] = statsSample{stats: s, at: time.Now()}
		case rt.Running(t.id):
			fmt.Fprintf(errw, "cgrun: stats of %s: %s\n", t.name, oneLine(err.Error()))
		}
	}
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// hostMemory is the host's memory in bytes (0 when unknown).
func hostMemory() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}
