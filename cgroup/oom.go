package cgroup

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// OOMEvents returns how many processes of the container's cgroup the
// kernel's OOM killer killed: oom_kill of memory.oom_control (v1) or of
// memory.events (v2).
func OOMEvents(paths Paths) (uint64, error) {
	file := "memory.oom_control"
	if paths.Unified() {
		file = "memory.events"
	}
	kv, err := readKeyValues(paths, file)
	if err != nil {
		return 0, err
	}
	return kv["oom_kill"], nil
}

// UnderOOM reports whether the cgroup is stalled at its memory limit with
// the OOM killer disabled (v1 memory.oom_control under_oom 1).
func UnderOOM(paths Paths) (bool, error) {
	kv, err := readKeyValues(paths, "memory.oom_control")
	if err != nil {
		return false, err
	}
	return kv["under_oom"] == 1, nil
}

// readKeyValues parses a flat-keyed cgroup file ("key value" lines) of
// the memory controller.
func readKeyValues(paths Paths, file string) (map[string]uint64, error) {
	dir, err := paths.Dir("memory")
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, &ReadError{Path: p, Err: err}
	}
	kv := map[string]uint64{}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, &ReadError{Path: p, Err: err}
		}
		kv[k] = n
	}
	return kv, nil
}
