package cgroup

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Limit is one limit of the spec beside what the kernel holds: Requested
// is the spec's value in the cgroup file's own format (page-rounded bytes,
// "max", "MAJ:MIN N", cpuset ranges), Actual the file's (or the matching
// line's) content, so that the two compare as strings.
type Limit struct {
	Resource  Resource `json:"resource"`
	File      string   `json:"file"`
	Requested string   `json:"requested"`
	Actual    string   `json:"actual"`
}

// Match reports whether the kernel holds what was requested.
func (l Limit) Match() bool { return l.Requested == l.Actual }

// want is one file to read back: extract picks the relevant part.
type want struct {
	res                  Resource
	ctl, file, requested string
	extract              func(string) string
}

// ReadBack reads every limit r sets, and every extension knob of
// annotations, back from the container's cgroup files.
func ReadBack(paths Paths, r *specs.LinuxResources, annotations map[string]string) ([]Limit, error) {
	var ws []want
	if r != nil {
		if paths.Unified() {
			ws = wantsV2(paths, r)
		} else {
			ws = wantsV1(paths, r)
		}
	}
	exts, err := Extensions(annotations)
	if err != nil {
		return nil, err
	}
	for _, e := range exts {
		ws = append(ws, want{res: KnobResource(e.File), ctl: controllerOf(e.File), file: e.File, requested: e.Value, extract: whole})
	}
	out := make([]Limit, 0, len(ws))
	for _, w := range ws {
		dir, err := paths.Dir(w.ctl)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, w.file)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, &ReadError{Path: p, Err: err}
		}
		out = append(out, Limit{Resource: w.res, File: w.file, Requested: w.requested, Actual: w.extract(string(b))})
	}
	return out, nil
}

func whole(s string) string { return strings.TrimSpace(s) }

// lineWith returns the extractor of the first line starting with prefix.
func lineWith(prefix string) func(string) string {
	return func(s string) string {
		for l := range strings.SplitSeq(s, "\n") {
			if strings.HasPrefix(l, prefix) {
				return strings.TrimSpace(l)
			}
		}
		return ""
	}
}

// pageSize is the kernel's page: memory limits are kept in whole pages.
var pageSize = int64(os.Getpagesize())

// bytesV1 formats a memory request as a v1 file shows it: rounded down to
// a page, -1 as the kernel's unlimited (PAGE_COUNTER_MAX pages).
func bytesV1(v int64) string {
	if v < 0 {
		return strconv.FormatInt(math.MaxInt64/pageSize*pageSize, 10)
	}
	return strconv.FormatInt(v/pageSize*pageSize, 10)
}

// bytesV2 formats a memory request as a v2 file shows it: "max" for -1.
func bytesV2(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v/pageSize*pageSize, 10)
}

func majmin(major, minor int64) string {
	return strconv.FormatInt(major, 10) + ":" + strconv.FormatInt(minor, 10)
}

// fileIn returns the first of files present in the controller's directory
// (the one libcontainer wrote), else the first.
func fileIn(paths Paths, ctl string, files ...string) string {
	dir, err := paths.Dir(ctl)
	if err == nil {
		for _, f := range files {
			if _, err := os.Lstat(filepath.Join(dir, f)); !errors.Is(err, fs.ErrNotExist) {
				return f
			}
		}
	}
	return files[0]
}
