package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Detach removes container user from volume name; when no other container
// uses it, it unstages: unmount, flush, delete the SCSI device, log out
// when no other LUN of the session is in use, delete the node record.
// Detaching a volume or user that is not attached is success.
func (m *Manager) Detach(ctx context.Context, name, user string) error {
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return err
	}
	defer unlock()
	a, err := m.store.Attachment(name)
	if err != nil || a == nil {
		return err
	}
	delete(a.Users, user)
	if len(a.Users) > 0 && a.Phase == PhaseReady {
		return m.store.putAttachment(a)
	}
	return m.teardown(ctx, v, a)
}

// teardown undoes every step a records, each idempotent, then deletes a.
func (m *Manager) teardown(ctx context.Context, v *Volume, a *Attachment) error {
	if err := m.record(a, PhaseDetach); err != nil {
		return err
	}
	if a.Staging != "" {
		syncFS(a.Staging) // journal and data on the disk while it is there
		if err := m.mounter.Unmount(a.Staging); err != nil {
			return err
		}
		_ = os.Remove(a.Staging) // an empty mount point; a busy one stays
		m.after(StepUnmounted)
	}
	paths := a.nodes()
	if len(a.Paths) > 0 || a.Map != "" {
		if err := m.removeMaps(ctx, v, a); err != nil {
			return err
		}
		m.after(StepMapGone)
	}
	for _, p := range paths {
		disk := p.Disk
		if disk == "" {
			// crashed between login and recording the disk
			disk, _ = m.sys.FindDisk(v.IQN, p.Node.Portal, v.LUN)
		}
		if err := m.removeDisk(ctx, disk); err != nil {
			return err
		}
	}
	m.after(StepDiskGone)
	for _, p := range paths {
		if err := m.logoutIfUnused(ctx, v, p.Node, p.RecordCreated); err != nil {
			return err
		}
	}
	m.after(StepLoggedOut)
	if err := m.store.deleteAttachment(v.Name); err != nil {
		return fmt.Errorf("delete attach state of %s: %w", v.Name, err)
	}
	return nil
}

// removeDisk flushes and deletes SCSI disk (sdX) once nothing holds it; a
// disk already gone (or never found: "") is success.
func (m *Manager) removeDisk(ctx context.Context, disk string) error {
	if disk == "" || !m.sys.DiskExists(disk) {
		return nil
	}
	// A container's mount namespace can hold the filesystem a moment
	// after its process died: never delete the disk under it.
	if err := m.waitUnheld(ctx, m.sys.DevPath(disk)); err != nil {
		return err
	}
	if err := m.disk.Flush(ctx, m.sys.DevPath(disk)); err != nil {
		return err
	}
	if err := m.sys.DeleteDisk(disk); err != nil {
		return err
	}
	m.waitGone(ctx, disk)
	return nil
}

// logoutIfUnused logs out of node n and deletes its record (when cgrun
// created it) unless another LUN of the session is in use
// (hpe-storage/csi-driver#269).
func (m *Manager) logoutIfUnused(ctx context.Context, v *Volume, n NodeRef, created bool) error {
	unlock, err := m.store.lockSessions()
	if err != nil {
		return err
	}
	defer unlock()
	if len(m.otherAttachments(v, n)) > 0 {
		return nil
	}
	busy, err := m.otherDisksMounted(v, n)
	if err != nil {
		return err
	}
	if busy {
		return nil
	}
	if err := m.iscsi.Logout(ctx, n); err != nil {
		return fmt.Errorf("logout of %s: %w", n, err)
	}
	if created {
		if err := m.iscsi.DeleteNode(ctx, n); err != nil {
			return fmt.Errorf("delete node record of %s: %w", n, err)
		}
	}
	return nil
}

// otherDisksMounted reports whether another disk of n's session is
// mounted somewhere (used outside cgrun).
func (m *Manager) otherDisksMounted(v *Volume, n NodeRef) (bool, error) {
	disks, err := m.sys.SessionDisks(v.IQN, n.Portal)
	if err != nil || len(disks) == 0 {
		return false, err
	}
	mounts, err := mountinfo.GetMounts(nil)
	if err != nil {
		return false, err
	}
	for lun, d := range disks {
		if lun == v.LUN {
			continue
		}
		maj, min, err := m.sys.DevNumber(d)
		if err != nil {
			continue
		}
		for _, mi := range mounts {
			if mi.Major == int(maj) && mi.Minor == int(min) {
				return true, nil
			}
		}
	}
	return false, nil
}

func (m *Manager) waitGone(ctx context.Context, disk string) {
	deadline := time.Now().Add(m.opts.DeviceTimeout)
	for m.sys.DiskExists(disk) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(m.opts.Poll):
		}
	}
}

// Reconcile finishes or undoes what a crashed process left on volume name:
// users still pending (their attach never finished) and users alive says
// are gone are dropped; an attachment with no user left, or stopped in the
// middle of a step, is torn down. alive may be nil (every finished user is
// kept).
func (m *Manager) Reconcile(ctx context.Context, name string, alive func(user string) bool) error {
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return err
	}
	defer unlock()
	return m.reconcileLocked(ctx, v, alive)
}

// ReconcileAll reconciles every registered volume and joins the errors.
func (m *Manager) ReconcileAll(ctx context.Context, alive func(user string) bool) error {
	names, err := m.store.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		if err := m.Reconcile(ctx, n, alive); err != nil {
			errs = append(errs, fmt.Errorf("volume %q: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// reconcileLocked runs with the volume's lock held: whoever recorded a
// step and does not hold the lock now has died.
func (m *Manager) reconcileLocked(ctx context.Context, v *Volume, alive func(string) bool) error {
	a, err := m.store.Attachment(v.Name)
	if err != nil || a == nil {
		return err
	}
	if v.ThinPool != "" && v.Mode == ModeFilesystem {
		thawLeft(a)
	}
	changed := false
	for u, usr := range a.Users {
		if usr.Pending || (alive != nil && !alive(u)) {
			delete(a.Users, u)
			changed = true
		}
	}
	if a.Phase != PhaseReady || len(a.Users) == 0 {
		return m.teardown(ctx, v, a)
	}
	if changed {
		return m.store.putAttachment(a)
	}
	return nil
}

// syncFS flushes the filesystem mounted at dir (best effort).
func syncFS(dir string) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	_ = unix.Syncfs(fd)
	_ = unix.Close(fd)
}

// waitUnheld waits, bounded, until no filesystem holds the block device
// dev (an exclusive open succeeds; EBUSY while a superblock still has it).
func (m *Manager) waitUnheld(ctx context.Context, dev string) error {
	deadline := time.Now().Add(m.opts.DeviceTimeout)
	for {
		fd, err := unix.Open(dev, unix.O_RDONLY|unix.O_EXCL|unix.O_CLOEXEC, 0)
		if err == nil {
			_ = unix.Close(fd)
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			return nil // gone or not a device: nothing holds it
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s is still held (mounted elsewhere) after %s", ErrInUse, dev, m.opts.DeviceTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(m.opts.Poll):
		}
	}
}
