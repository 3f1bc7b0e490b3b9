package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/blkio"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/spec"
	"github.com/cgrun/cgrun/volume"
)

// VolumeError is a volume of a request that could not be attached or
// exposed. Index is its place in Request.Volumes.
type VolumeError struct {
	Index  int
	Volume Volume
	Err    error
}

func (e *VolumeError) Error() string {
	return fmt.Sprintf("volume %s at %s: %v", e.Volume.Name, e.Volume.Target, e.Err)
}
func (e *VolumeError) Unwrap() error { return e.Err }

// attachVolumes attaches every volume for container id, each recorded as a
// release of the container before it is attached (a crash leaves it
// recorded, the releaser is idempotent), then adds to the recorded spec
// what exposes them, and their limits on their disks through spec.Merge.
// On error the caller removes the container, which detaches what was
// attached.
func (r *Runner) attachVolumes(ctx context.Context, id string, vols []Volume) error {
	user := volumeUser(r.rt, id)
	dir := r.opts.VolumeStateDir
	m := volume.NewManager(volume.Options{StateDir: dir})
	exposed := make([]*volume.Exposure, len(vols))
	for i, v := range vols {
		rel := container.Release{Kind: container.ReleaseVolume, Target: v.Name, Data: volume.ReleaseData(dir, user)}
		if err := r.rt.Record(id, rel); err != nil {
			return err
		}
		e, err := m.Attach(ctx, v.Name, user, v.ReadOnly)
		if err != nil {
			return &VolumeError{Index: i, Volume: v, Err: withContainerIDs(err)}
		}
		exposed[i] = e
	}
	_, err := r.rt.Amend(id, func(s *specs.Spec) error {
		var lim spec.Resources
		limited := false
		for i, v := range vols {
			e := exposed[i]
			if err := expose(e, v.Target, s); err != nil {
				return &VolumeError{Index: i, Volume: v, Err: err}
			}
			addLimits(&lim, v, blkio.Device{Major: int64(e.Major), Minor: int64(e.Minor)})
			limited = limited || v.Limits.any()
		}
		if !limited {
			return nil
		}
		return spec.Merge(s, &lim, nil)
	})
	return err
}

// expose adds to s what exposes an attached volume at target: a bind mount
// of the staging directory, or (block mode) a device node with its device
// cgroup rule.
func expose(e *volume.Exposure, target string, s *specs.Spec) error {
	if e.Mode == volume.ModeBlock {
		dev, rule, err := e.OCIDevice(target)
		if err != nil {
			return err
		}
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		s.Linux.Devices = append(s.Linux.Devices, dev)
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, rule)
		return nil
	}
	mnt, err := e.OCIMount(target)
	if err != nil {
		return err
	}
	s.Mounts = append(s.Mounts, mnt)
	return nil
}

// addLimits adds v's block IO limits on its disk d to lim.
func addLimits(lim *spec.Resources, v Volume, d blkio.Device) {
	l := v.Limits
	for _, t := range []struct {
		rate uint64
		list *[]spec.ThrottleDevice
	}{
		{l.ReadBps, &lim.DeviceReadBps}, {l.WriteBps, &lim.DeviceWriteBps},
		{l.ReadIOps, &lim.DeviceReadIOps}, {l.WriteIOps, &lim.DeviceWriteIOps},
	} {
		if t.rate > 0 {
			*t.list = append(*t.list, spec.ThrottleDevice{Name: v.Name, Device: d, Rate: t.rate})
		}
	}
	if l.Weight > 0 {
		lim.BlkioWeightDevice = append(lim.BlkioWeightDevice, spec.WeightDevice{Name: v.Name, Device: d, Weight: l.Weight})
	}
}

// volumeUser is the user a container is recorded as on its volumes: its
// state directory, so any later process can tell whether it still exists,
// whatever state root it runs with.
func volumeUser(rt *container.Runtime, id string) string { return rt.Store.Dir(id) }

// withContainerIDs names the containers holding a volume by short ID
// instead of by state directory.
func withContainerIDs(err error) error {
	var ue *volume.UsersError
	if !errors.As(err, &ue) {
		return err
	}
	users := make([]string, len(ue.Users))
	for i, u := range ue.Users {
		users[i] = u
		if id := filepath.Base(u); filepath.IsAbs(u) && len(id) == 64 {
			users[i] = "container " + container.ShortID(id)
		}
	}
	return &volume.UsersError{Volume: ue.Volume, Users: users}
}

// VolumeUserAlive tells volume.Manager's Reconcile whether a volume's user
// still holds it. A container user (its state directory) holds it until
// the container exited or is gone; other users (plumbing's) are kept. A
// state that cannot be read counts as alive: never detach a disk under a
// container that may run.
func VolumeUserAlive(user string) bool {
	if !filepath.IsAbs(user) {
		return true
	}
	root, id := filepath.Dir(user), filepath.Base(user)
	if _, err := os.Stat(root); errors.Is(err, os.ErrNotExist) {
		return false
	}
	store, err := container.NewStore(root) // exists: nothing is created
	if err != nil {
		return true
	}
	st, err := store.Load(id)
	switch {
	case errors.Is(err, container.ErrNotFound):
		return false
	case err != nil:
		return true
	}
	return st.Status != container.StatusExited
}
