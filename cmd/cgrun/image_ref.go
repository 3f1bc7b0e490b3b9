package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cgrun/cgrun/container"
)

// resolvedImage is what an image reference becomes: a root filesystem
// directory, what was acquired to provide it (released when the container
// goes away), and the image's default command.
type resolvedImage struct {
	Rootfs   string
	Releases []container.Release
	Cmd      []string
}

// resolveImage turns the IMAGE argument of run (or --rootfs) into a root
// filesystem. Today a reference is a directory holding a root filesystem.
func resolveImage(ref string) (*resolvedImage, error) {
	abs, err := filepath.Abs(ref)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("image %q: no such root filesystem directory", ref)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("image %q: not a directory", ref)
	}
	return &resolvedImage{Rootfs: abs, Cmd: []string{"sh"}}, nil
}
