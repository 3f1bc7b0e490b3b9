// Package blkio turns block device paths into the major:minor numbers the
// cgroup blkio/io files take, and reads the device's I/O scheduler (weights
// act only under bfq). It never imports spec or cmd.
package blkio

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Device is a block device number.
type Device struct {
	Major int64
	Minor int64
}

// String is the kernel's "MAJ:MIN" form.
func (d Device) String() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

// Resolve stats path (following links) and returns its device number. The
// path must exist and be a block device. unix.Major/Minor decode the full
// dev_t (the Rdev>>8 shortcut is wrong for big numbers).
func Resolve(path string) (Device, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return Device{}, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return Device{}, fmt.Errorf("%s: %w", path, ErrNotBlockDevice)
	}
	rdev := uint64(st.Rdev) //nolint:unconvert // Rdev is not uint64 on every arch
	return Device{Major: int64(unix.Major(rdev)), Minor: int64(unix.Minor(rdev))}, nil
}
