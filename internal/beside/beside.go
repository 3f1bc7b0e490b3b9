// Package beside finds the helper binaries a program installs beside its
// own (cgrun-init, cgrun-registry), and only those fit to run: a file
// another user could write would run with this program's privileges.
package beside

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrUnfit: the file is there but not a regular executable file that only
// its owner (root or this user) may write.
var ErrUnfit = errors.New("not a regular executable file that only its owner (root or this user) may write")

// Binary is the path of name beside the running program's binary, and an
// error when there is none there fit to run (ErrUnfit, or why it cannot be
// looked at). The path is returned whenever it could be made.
func Binary(name string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	p := filepath.Join(filepath.Dir(exe), name)
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return p, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o111 == 0 || (st.Uid != 0 && int(st.Uid) != os.Geteuid()) || st.Mode&0o022 != 0 {
		return p, ErrUnfit
	}
	return p, nil
}
