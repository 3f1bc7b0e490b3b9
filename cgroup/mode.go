package cgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Mode is the host's cgroup layout.
type Mode string

const (
	// ModeV1 has only cgroup v1 hierarchies.
	ModeV1 Mode = "v1"
	// ModeHybrid has v1 controller hierarchies plus a cgroup2 mount (usually
	// /sys/fs/cgroup/unified, without controllers). Limits go through v1.
	ModeHybrid Mode = "hybrid"
	// ModeV2 has the unified cgroup2 hierarchy at the cgroup root.
	ModeV2 Mode = "v2"
)

// layout is what the mount table says about the cgroup root.
type layout struct {
	Mode        Mode
	Controllers map[string]string // controller -> directory holding its files
	Unified     string            // cgroup2 mount point ("" if none)
	UnifiedCtl  []string          // controllers of the cgroup2 root
}

// detectLayout finds the cgroup mounts at or under root.
func detectLayout(mounts []mount, root string) (*layout, error) {
	root = filepath.Clean(root)
	l := &layout{Controllers: map[string]string{}}
	v1 := false
	for _, m := range mounts {
		p := filepath.Clean(m.Point)
		if p != root && !strings.HasPrefix(p, root+"/") {
			continue
		}
		switch m.FSType {
		case "cgroup2":
			l.Unified = p
		case "cgroup":
			for _, o := range m.Options {
				if v1Controllers[o] {
					v1 = true
					l.Controllers[o] = p
				}
			}
		}
	}
	if l.Unified != "" {
		ctl, err := readControllers(filepath.Join(l.Unified, "cgroup.controllers"))
		if err != nil {
			return nil, err
		}
		l.UnifiedCtl = ctl
	}
	switch {
	case v1 && l.Unified != "":
		l.Mode = ModeHybrid
	case v1:
		l.Mode = ModeV1
	case l.Unified == root:
		l.Mode = ModeV2
		for _, c := range l.UnifiedCtl {
			l.Controllers[c] = root
		}
	default:
		return nil, fmt.Errorf("%w: no cgroup or cgroup2 mount at %s", ErrNoController, root)
	}
	return l, nil
}

func readControllers(p string) ([]string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, &ReadError{Path: p, Err: err}
	}
	f := strings.Fields(string(b))
	slices.Sort(f)
	return f, nil
}
