package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// maxChildren bounds how many existing child cgroups probeFiles lists.
const maxChildren = 16

// probeFiles reports which of files a container's cgroup under dir (a
// controller's directory) would have. It looks, read-only, in dir and its
// existing children; what it still misses it looks for in parent (created
// if absent) and a scratch child parent/probe-PID, both removed again when
// Probe made them. note says what could not be probed.
func probeFiles(dir, parent string, files []string) (map[string]bool, string) {
	found := map[string]bool{}
	look := func(d string) bool {
		all := true
		for _, f := range files {
			if !found[f] {
				if _, err := os.Lstat(filepath.Join(d, f)); err == nil {
					found[f] = true
				} else {
					all = false
				}
			}
		}
		return all
	}
	if look(dir) {
		return found, ""
	}
	if entries, err := os.ReadDir(dir); err == nil {
		n := 0
		for _, e := range entries {
			if !e.IsDir() || n >= maxChildren {
				continue
			}
			n++
			if look(filepath.Join(dir, e.Name())) {
				return found, ""
			}
		}
	}
	if parent == "" {
		return found, ""
	}
	pdir := filepath.Join(dir, parent)
	created, err := mkdirNew(pdir)
	if err != nil {
		return found, fmt.Sprintf("cannot create probe cgroup %s: %v", pdir, err)
	}
	if created {
		defer os.Remove(pdir) // fails harmlessly if a container appeared meanwhile
	}
	if look(pdir) {
		return found, ""
	}
	scratch := filepath.Join(pdir, "probe-"+strconv.Itoa(os.Getpid()))
	if _, err := mkdirNew(scratch); err != nil {
		return found, fmt.Sprintf("cannot create probe cgroup %s: %v", scratch, err)
	}
	look(scratch)
	if err := os.Remove(scratch); err != nil {
		return found, fmt.Sprintf("cannot remove probe cgroup %s: %v", scratch, err)
	}
	return found, ""
}

// mkdirNew creates dir and reports whether it did (false: it existed).
func mkdirNew(dir string) (bool, error) {
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return err == nil, err
}
