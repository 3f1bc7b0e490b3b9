package network

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// newNetNS creates a network namespace and pins it to path (a file made
// for it, bind-mounted over by the namespace), as `ip netns add` does. The
// namespace lives until UnpinNetNS and the last process in it are gone.
func newNetNS(path string) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return fmt.Errorf("network namespace file: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			_ = unpinNetNS(path)
		}
	}()
	errc := make(chan error, 1)
	go func() {
		// This thread enters the new namespace and is never used again:
		// returning without UnlockOSThread makes the runtime end it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare network namespace: %w", err)
			return
		}
		src := "/proc/self/task/" + strconv.Itoa(unix.Gettid()) + "/ns/net"
		if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("pin network namespace at %s: %w", path, err)
			return
		}
		errc <- nil
	}()
	return <-errc
}

// unpinNetNS unmounts the namespace pinned at path and removes the file;
// what is not there is not an error.
func unpinNetNS(path string) error {
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unpin network namespace %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network namespace file: %w", err)
	}
	return nil
}

// isNetNS reports whether path has a network namespace pinned on it.
func isNetNS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}
