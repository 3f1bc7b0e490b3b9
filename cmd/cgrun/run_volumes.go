package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/blkio"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/spec"
	"github.com/cgrun/cgrun/volume"
)

// runVolumes is what `cgrun run` attaches once the container has an ID:
// the volumes of -v NAME:/path and --mount type=volume, and the block IO
// limits given by volume name (their disk is known only once attached).
type runVolumes struct {
	stateDir string
	devices  *volumeDevices
	refs     []runVolume
	limits   []volumeLimit
}

// runVolume is one volume reference with the flag it came from.
type runVolume struct {
	ref         volumeRef
	flag, value string
}

// volumeLimit is a block IO limit on a volume's disk.
type volumeLimit struct {
	flag   string
	name   string
	value  uint64 // rate, or weight
	render string // as given, for errors
}

func newRunVolumes() *runVolumes {
	dir := volumeStateDir()
	return &runVolumes{stateDir: dir, devices: &volumeDevices{stateDir: dir}}
}

// volumeStateDir is the volume registry run uses: $CGRUN_VOLUME_DIR, as
// `cgrun volume` reads it, or the default.
func volumeStateDir() string {
	if d := os.Getenv("CGRUN_VOLUME_DIR"); d != "" {
		return d
	}
	return volume.DefaultStateDir
}

// volumeUser is the user a container is recorded as on its volumes: its
// state directory, so any later cgrun process can tell whether it still
// exists, whatever --root it runs with.
func volumeUser(rt *container.Runtime, id string) string { return rt.Store.Dir(id) }

// volumeDevices resolves the DEVICE of the block IO flags at parse time:
// a path is resolved at once; a registered volume's name gets a
// placeholder number (major -1) until the volume is attached.
type volumeDevices struct {
	stateDir string
	names    []string
}

// ResolveDevice implements spec.DeviceResolver.
func (v *volumeDevices) ResolveDevice(name string) (blkio.Device, error) {
	if strings.HasPrefix(name, "/") {
		return blkio.Resolve(name)
	}
	if err := volume.ValidName(name); err != nil {
		return blkio.Device{}, fmt.Errorf("%q is neither a device path nor a volume name", name)
	}
	if _, err := volume.NewManager(volume.Options{StateDir: v.stateDir}).Store().Get(name); err != nil {
		return blkio.Device{}, err
	}
	for i, n := range v.names {
		if n == name {
			return blkio.Device{Major: -1, Minor: int64(i)}, nil
		}
	}
	v.names = append(v.names, name)
	return blkio.Device{Major: -1, Minor: int64(len(v.names) - 1)}, nil
}

// volumeName returns the volume a placeholder stands for.
func (v *volumeDevices) volumeName(d blkio.Device) (string, bool) {
	if d.Major != -1 || d.Minor < 0 || int(d.Minor) >= len(v.names) {
		return "", false
	}
	return v.names[d.Minor], true
}

// takeLimits moves the limits given by volume name out of r (the spec
// cannot hold them until the disk is known) and checks each names a
// volume this run attaches.
func (rv *runVolumes) takeLimits(r *spec.Resources) error {
	throttle := func(flag string, list []spec.ThrottleDevice) []spec.ThrottleDevice {
		var keep []spec.ThrottleDevice
		for _, e := range list {
			name, ok := rv.devices.volumeName(e.Device)
			if !ok {
				keep = append(keep, e)
				continue
			}
			rv.limits = append(rv.limits, volumeLimit{flag: flag, name: name, value: e.Rate, render: fmt.Sprintf("%s:%d", name, e.Rate)})
		}
		return keep
	}
	r.DeviceReadBps = throttle(flagDeviceReadBps, r.DeviceReadBps)
	r.DeviceWriteBps = throttle(flagDeviceWriteBps, r.DeviceWriteBps)
	r.DeviceReadIOps = throttle(flagDeviceReadIOps, r.DeviceReadIOps)
	r.DeviceWriteIOps = throttle(flagDeviceWriteIOps, r.DeviceWriteIOps)
	var keep []spec.WeightDevice
	for _, e := range r.BlkioWeightDevice {
		name, ok := rv.devices.volumeName(e.Device)
		if !ok {
			keep = append(keep, e)
			continue
		}
		rv.limits = append(rv.limits, volumeLimit{flag: flagBlkioWeightDevice, name: name, value: uint64(e.Weight), render: fmt.Sprintf("%s:%d", name, e.Weight)})
	}
	r.BlkioWeightDevice = keep
	for _, l := range rv.limits {
		if !rv.attaches(l.name) {
			return fmt.Errorf("invalid --%s %q: volume %q must also be given as -v %s:/PATH or --mount type=volume,source=%s,...", l.flag, l.render, l.name, l.name, l.name)
		}
	}
	return nil
}

func (rv *runVolumes) attaches(name string) bool {
	for _, v := range rv.refs {
		if v.ref.Name == name {
			return true
		}
	}
	return false
}

// attach attaches every volume for container id, each recorded as a
// release of the container before it is attached (a crash leaves it
// recorded, the releaser is idempotent), then adds to the stored spec what
// exposes them and the limits on their disks. On error the caller removes
// the container, which detaches what was attached.
func (rv *runVolumes) attach(ctx context.Context, rt *container.Runtime, id string) (*container.State, error) {
	user := volumeUser(rt, id)
	m := volume.NewManager(volume.Options{StateDir: rv.stateDir})
	exposed := make([]*volume.Exposure, len(rv.refs))
	disks := map[string]blkio.Device{}
	for i, v := range rv.refs {
		if err := rt.Record(id, volumeRelease(rv.stateDir, user, v.ref)); err != nil {
			return nil, err
		}
		e, err := m.Attach(ctx, v.ref.Name, user, v.ref.ReadOnly)
		if err != nil {
			return nil, volumeAttachError(v, err)
		}
		exposed[i] = e
		disks[v.ref.Name] = blkio.Device{Major: int64(e.Major), Minor: int64(e.Minor)}
	}
	return rt.Amend(id, func(s *specs.Spec) error {
		for i, v := range rv.refs {
			if err := exposeVolume(exposed[i], v.ref, s); err != nil {
				return fmt.Errorf("--%s %q: %w", v.flag, v.value, err)
			}
		}
		addVolumeLimits(s, rv.limits, disks)
		return nil
	})
}

// volumeAttachError names the flag and value; a volume used by another
// container says which one holds it (by short ID) and the sharing rule.
func volumeAttachError(v runVolume, err error) error {
	msg := err.Error()
	if errors.Is(err, volume.ErrInUse) {
		for _, f := range strings.FieldsFunc(msg, func(r rune) bool { return r == '[' || r == ']' || r == ' ' }) {
			if id := filepath.Base(f); filepath.IsAbs(f) && len(id) == 64 {
				msg = strings.ReplaceAll(msg, f, "container "+container.ShortID(id))
			}
		}
	}
	return fmt.Errorf("--%s %q: %s", v.flag, v.value, msg)
}

// addVolumeLimits adds the block IO limits given by volume name, now that
// their disks are known.
func addVolumeLimits(s *specs.Spec, limits []volumeLimit, disks map[string]blkio.Device) {
	if len(limits) == 0 {
		return
	}
	if s.Linux.Resources == nil {
		s.Linux.Resources = &specs.LinuxResources{}
	}
	if s.Linux.Resources.BlockIO == nil {
		s.Linux.Resources.BlockIO = &specs.LinuxBlockIO{}
	}
	b := s.Linux.Resources.BlockIO
	for _, l := range limits {
		d := disks[l.name]
		var dev specs.LinuxBlockIODevice
		dev.Major, dev.Minor = d.Major, d.Minor
		td := specs.LinuxThrottleDevice{LinuxBlockIODevice: dev, Rate: l.value}
		switch l.flag {
		case flagDeviceReadBps:
			b.ThrottleReadBpsDevice = append(b.ThrottleReadBpsDevice, td)
		case flagDeviceWriteBps:
			b.ThrottleWriteBpsDevice = append(b.ThrottleWriteBpsDevice, td)
		case flagDeviceReadIOps:
			b.ThrottleReadIOPSDevice = append(b.ThrottleReadIOPSDevice, td)
		case flagDeviceWriteIOps:
			b.ThrottleWriteIOPSDevice = append(b.ThrottleWriteIOPSDevice, td)
		case flagBlkioWeightDevice:
			w := uint16(l.value)
			b.WeightDevice = append(b.WeightDevice, specs.LinuxWeightDevice{LinuxBlockIODevice: dev, Weight: &w})
		}
	}
}

// volumeUserAlive tells `volume reconcile` whether a volume's user still
// holds it. A container user (its state directory) holds it until the
// container exited or is gone; other users (the attach plumbing's) are
// kept. A state that cannot be read counts as alive: never detach a disk
// under a container that may run.
func volumeUserAlive(user string) bool {
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
