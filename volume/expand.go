package volume

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Expand grows thin volume name to at least size bytes, online: its LV
// (the controller's side: LIO's block backstore reads the new size at the
// next command), then, when it is attached here, the node's side
// (ExpandAttached). It returns the volume's size. Volumes never shrink.
func (m *Manager) Expand(ctx context.Context, name string, size int64) (int64, error) {
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return 0, err
	}
	defer unlock()
	switch {
	case v.ThinPool == "":
		return 0, invalidf("volume %q is file-backed: volumes grow when they are thin (created with --thin-pool VG/POOL)", name)
	case v.Provision != ProvisionLIO:
		return 0, invalidf("volume %q is served by %s, which reads a LUN's size once, when it is made: thin volumes on lio grow online", name, v.Provision)
	case size < v.SizeBytes:
		return 0, invalidf("size %d: volume %q has %d bytes, and volumes do not shrink", size, name, v.SizeBytes)
	}
	n, err := m.thin.Extend(ctx, v.ThinPool, volumeLV(name), size)
	if err != nil {
		return 0, err
	}
	if n != v.SizeBytes {
		v.SizeBytes = n
		if err := m.store.Put(v); err != nil {
			return 0, err
		}
	}
	a, err := m.store.Attachment(name)
	if err != nil || a == nil || a.Phase != PhaseReady {
		return n, err
	}
	if _, err := m.grow(ctx, v, a, n); err != nil {
		return 0, err
	}
	return n, nil
}

// ExpandAttached is the node's side of an expansion of volume name to at
// least size bytes (0: whatever the target now reports): every path's
// session rescanned until its disk has the size, the multipath map
// resized, then the filesystem grown while mounted (resize2fs for ext4,
// xfs_growfs for xfs). It returns the device's size.
func (m *Manager) ExpandAttached(ctx context.Context, name string, size int64) (int64, error) {
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return 0, err
	}
	defer unlock()
	a, err := m.store.Attachment(name)
	if err != nil {
		return 0, err
	}
	if a == nil || a.Phase != PhaseReady {
		return 0, fmt.Errorf("volume %q is not attached here: %w", name, ErrNotFound)
	}
	return m.grow(ctx, v, a, size)
}

// grow rescans a's sessions until each disk holds size bytes, resizes the
// map of a multipath volume and grows the filesystem.
func (m *Manager) grow(ctx context.Context, v *Volume, a *Attachment, size int64) (int64, error) {
	paths := a.nodes()
	rescan := func() error {
		for _, p := range paths {
			if err := m.iscsi.Rescan(ctx, p.Node); err != nil {
				return fmt.Errorf("rescan %s: %w", p.Node, err)
			}
		}
		return nil
	}
	if err := rescan(); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(m.opts.DeviceTimeout)
	for next := time.Now().Add(2 * time.Second); ; {
		short := ""
		for _, p := range paths {
			n, err := m.sys.DiskSize(p.Disk)
			if err != nil {
				return 0, err
			}
			if n < size {
				short = fmt.Sprintf("disk %s has %d bytes", p.Disk, n)
			}
		}
		if short == "" {
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("volume %q: %w: %s after the rescan, want %d", v.Name, ErrDeviceTimeout, short, size)
		}
		if time.Now().After(next) { // the target answered the last rescan before it grew
			if err := rescan(); err != nil {
				return 0, err
			}
			next = time.Now().Add(2 * time.Second)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(m.opts.Poll):
		}
	}
	if v.Multipath() {
		if _, err := m.mpath.run(ctx, "multipathd", "resize", "map", a.Map); err != nil {
			return 0, fmt.Errorf("%w: resize map %s: %w", ErrMultipath, a.Map, err)
		}
	}
	n, err := m.sys.DiskSize(a.Disk)
	if err != nil {
		return 0, err
	}
	if v.Mode == ModeFilesystem && a.Staging != "" && !a.ReadOnly {
		if err := m.disk.Grow(ctx, m.sys.DevPath(a.Disk), a.FSType, a.Staging); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Grow grows the filesystem mounted at mnt from dev to the device's size,
// online: resize2fs for ext4, xfs_growfs for xfs.
func (t DiskTools) Grow(ctx context.Context, dev, fs, mnt string) error {
	var c Cmd
	switch FSType(fs) {
	case FSExt4:
		c = Cmd{Name: "resize2fs", Args: []string{dev}}
	case FSXFS:
		c = Cmd{Name: "xfs_growfs", Args: []string{mnt}}
	default:
		return invalidf("filesystem %q: cgrun grows ext4 and xfs", fs)
	}
	if _, err := t.Runner.Run(ctx, c); err != nil {
		return fmt.Errorf("grow the %s filesystem on %s: %w", fs, dev, err)
	}
	return nil
}

// DiskSize is the size in bytes of block device disk.
func (s SysFS) DiskSize(disk string) (int64, error) {
	return sectors(filepath.Join("/dev", disk), s.path("sys/block", disk, "size"))
}

// NodeSize is the size in bytes of the block device whose node is dev
// (a path under Root, symbolic links followed), read from sysfs by its
// device number.
func (s SysFS) NodeSize(dev string) (int64, error) {
	var st unix.Stat_t
	if err := unix.Stat(s.path(dev), &st); err != nil {
		return 0, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, fmt.Errorf("%s is no block device", dev)
	}
	return sectors(dev, s.path("sys/dev/block", fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev)), "size"))
}

// sectors reads a sysfs size file of device dev (it counts 512-byte
// sectors whatever the logical block size) as bytes.
func sectors(dev, file string) (int64, error) {
	b, err := readTrim(file)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dev, err)
	}
	n, err := strconv.ParseInt(b, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %q: %w", dev, b, err)
	}
	return n * 512, nil
}
