//go:build !seccomp

package wrap

import (
	"errors"
	"io"
	"os"
)

// Compile: this build has no seccomp support.
func Compile(io.Reader, *os.File) error {
	return errors.New("built without seccomp support (build it with -tags seccomp)")
}

// Used is false: this build has no seccomp support.
func Used() bool { return false }

// Preload does nothing: this build has no seccomp support.
func Preload(int) {}
