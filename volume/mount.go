package volume

import (
	"fmt"
	"os"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Mounter mounts and unmounts filesystems.
type Mounter interface {
	Mount(source, target, fstype string, readOnly bool) error
	Unmount(target string) error
	IsMounted(target string) (bool, error)
}

// SysMounter uses the mount(2) and umount(2) system calls.
type SysMounter struct{}

// Mount implements Mounter.
func (SysMounter) Mount(source, target, fstype string, readOnly bool) error {
	var flags uintptr = unix.MS_NOSUID | unix.MS_NODEV
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Mount(source, target, fstype, flags, ""); err != nil {
		return fmt.Errorf("mount %s on %s (%s): %w", source, target, fstype, err)
	}
	return nil
}

// Unmount implements Mounter; a target not mounted is success.
func (m SysMounter) Unmount(target string) error {
	ok, err := m.IsMounted(target)
	if err != nil || !ok {
		return err
	}
	if err := unix.Unmount(target, 0); err != nil {
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	return nil
}

// IsMounted implements Mounter; a missing target is not mounted.
func (SysMounter) IsMounted(target string) (bool, error) {
	if _, err := os.Stat(target); os.IsNotExist(err) {
		return false, nil
	}
	ok, err := mountinfo.Mounted(target)
	if err != nil {
		return false, fmt.Errorf("is %s mounted: %w", target, err)
	}
	return ok, nil
}
