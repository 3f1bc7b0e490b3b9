package blkio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Sched is a device's I/O scheduler as the kernel lists it.
type Sched struct {
	Active    string   // the bracketed one, e.g. "bfq" or "none"
	Available []string // every scheduler the queue offers
}

// BFQ reports whether bfq is the active scheduler: only then do blkio
// weights (blkio.bfq.weight, io.bfq.weight) act.
func (s Sched) BFQ() bool { return s.Active == "bfq" }

// SysfsRoot is the default root for Prober.
const SysfsRoot = "/sys"

// Prober reads scheduler files under a sysfs root (a fake tree in tests).
type Prober struct{ Root string }

// Scheduler reads the scheduler of the device d from
// /sys/dev/block/MAJ:MIN/queue/scheduler, or from its parent disk's queue
// when d is a partition.
func (p Prober) Scheduler(d Device) (Sched, error) {
	root := p.Root
	if root == "" {
		root = SysfsRoot
	}
	// /sys/dev/block/MAJ:MIN links to the device's directory; a partition's
	// directory sits inside its disk's, so the parent holds the queue.
	dir, err := filepath.EvalSymlinks(filepath.Join(root, "dev", "block", d.String()))
	if err != nil {
		return Sched{}, fmt.Errorf("device %s: %w: %w", d, ErrNoScheduler, err)
	}
	for _, cand := range []string{
		filepath.Join(dir, "queue", "scheduler"),
		filepath.Join(filepath.Dir(dir), "queue", "scheduler"),
	} {
		b, err := os.ReadFile(cand)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Sched{}, fmt.Errorf("read scheduler of %s: %w", d, err)
		}
		return ParseScheduler(bytes.NewReader(b))
	}
	return Sched{}, fmt.Errorf("device %s: %w", d, ErrNoScheduler)
}

// Scheduler reads the scheduler of d from the host's /sys.
func Scheduler(d Device) (Sched, error) { return Prober{}.Scheduler(d) }

// ParseScheduler parses a queue/scheduler file: "mq-deadline kyber [bfq] none".
func ParseScheduler(r io.Reader) (Sched, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return Sched{}, fmt.Errorf("read scheduler: %w", err)
	}
	var s Sched
	for _, f := range strings.Fields(string(b)) {
		if len(f) > 2 && f[0] == '[' && f[len(f)-1] == ']' {
			f = f[1 : len(f)-1]
			s.Active = f
		}
		s.Available = append(s.Available, f)
	}
	if s.Active == "" && len(s.Available) == 1 {
		s.Active = s.Available[0]
	}
	if s.Active == "" {
		return Sched{}, fmt.Errorf("scheduler %q: no active scheduler", strings.TrimSpace(string(b)))
	}
	return s, nil
}
