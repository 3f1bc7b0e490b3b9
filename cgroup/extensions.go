package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Extension is one extension knob read from the spec annotations: the
// cgroup file and the value written to it as is.
type Extension struct {
	File  string
	Value string
}

// Extensions returns the extension knobs of annotations (keys starting with
// AnnotationPrefix), sorted by file name so the same spec writes the same
// way. A key naming anything but a plain cgroup file ("memory.x") is refused.
func Extensions(annotations map[string]string) ([]Extension, error) {
	var out []Extension
	for k, v := range annotations {
		file, ok := strings.CutPrefix(k, AnnotationPrefix)
		if !ok {
			continue
		}
		if err := validFile(file); err != nil {
			return nil, fmt.Errorf("annotation %q: %w", k, err)
		}
		out = append(out, Extension{File: file, Value: v})
	}
	slices.SortFunc(out, func(a, b Extension) int { return strings.Compare(a.File, b.File) })
	return out, nil
}

func validFile(file string) error {
	c, rest, ok := strings.Cut(file, ".")
	if !ok || c == "" || rest == "" || strings.ContainsAny(file, "/\x00") || strings.HasPrefix(file, "cgroup.") {
		return fmt.Errorf("%w: %q is not a controller file name", ErrBadAnnotation, file)
	}
	return nil
}

// ApplyExtensions writes every extension knob of annotations into the
// container's cgroup: memory.* into the memory controller's directory on v1
// (the unified directory on v2), cpu.* into cpu's, and so on, in file-name
// order. Files are opened without O_CREAT: a file this kernel lacks fails
// with an *UnsupportedError ("io.cgrun.cgroup.memory.wmark_ratio: this kernel
// has no memory.wmark_ratio ..."); a refused value fails with a *WriteError quoting
// it. Call it after the container's cgroup exists and before the user's
// process runs.
func ApplyExtensions(paths Paths, annotations map[string]string) error {
	exts, err := Extensions(annotations)
	if err != nil {
		return err
	}
	for _, e := range exts {
		if err := writeExtension(paths, e); err != nil {
			return err
		}
	}
	return nil
}

func writeExtension(paths Paths, e Extension) error {
	res := KnobResource(e.File)
	dir, err := paths.Dir(controllerOf(e.File))
	if err != nil {
		return &UnsupportedError{Resource: res, Reason: "the container's cgroup has no " + controllerOf(e.File) + " controller", Err: err}
	}
	p := filepath.Join(dir, e.File)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return &UnsupportedError{Resource: res, Reason: noFileReason(e.File), Err: fmt.Errorf("%w: %w", ErrNoFile, err)}
	}
	if err != nil {
		return &WriteError{Resource: res, Path: p, Value: e.Value, Err: err}
	}
	_, err = f.WriteString(e.Value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &WriteError{Resource: res, Path: p, Value: e.Value, Err: err}
	}
	return nil
}
