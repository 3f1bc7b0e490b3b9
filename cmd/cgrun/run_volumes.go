package main

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/cgrun/cgrun/blkio"
	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/spec"
	"github.com/cgrun/cgrun/volume"
)

// runVolumes are the volumes of -v NAME:/path and --mount type=volume, with
// the flag each came from, and the block IO limits given by volume name
// (the library puts them on the disk once attached).
type runVolumes struct {
	devices *volumeDevices
	refs    []runVolume
}

// runVolume is one volume reference with the flag it came from.
type runVolume struct {
	vol         runner.Volume
	flag, value string
}

func newRunVolumes() *runVolumes {
	return &runVolumes{devices: &volumeDevices{stateDir: volumeStateDir()}}
}

// volumeDevices resolves the DEVICE of the block IO flags at parse time:
// a path is resolved at once; a registered volume's name gets a
// placeholder number (major -1) until takeLimits gives the limit to the
// volume.
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
// cannot hold them until the disk is known) onto the volumes, and checks
// each names a volume this run attaches.
func (rv *runVolumes) takeLimits(r *spec.Resources) error {
	var err error
	set := func(flag, render, name string, apply func(*runner.BlockLimits)) {
		i := rv.index(name)
		if i < 0 {
			if err == nil {
				err = fmt.Errorf("invalid --%s %q: volume %q must also be given as -v %s:/PATH or --mount type=volume,source=%s,target=/PATH", flag, render, name, name, name)
			}
			return
		}
		apply(&rv.refs[i].vol.Limits)
	}
	throttle := func(flag string, list []spec.ThrottleDevice, field func(*runner.BlockLimits) *uint64) []spec.ThrottleDevice {
		var keep []spec.ThrottleDevice
		for _, e := range list {
			name, ok := rv.devices.volumeName(e.Device)
			if !ok {
				keep = append(keep, e)
				continue
			}
			set(flag, fmt.Sprintf("%s:%d", name, e.Rate), name, func(l *runner.BlockLimits) { *field(l) = e.Rate })
		}
		return keep
	}
	r.DeviceReadBps = throttle(flagDeviceReadBps, r.DeviceReadBps, func(l *runner.BlockLimits) *uint64 { return &l.ReadBps })
	r.DeviceWriteBps = throttle(flagDeviceWriteBps, r.DeviceWriteBps, func(l *runner.BlockLimits) *uint64 { return &l.WriteBps })
	r.DeviceReadIOps = throttle(flagDeviceReadIOps, r.DeviceReadIOps, func(l *runner.BlockLimits) *uint64 { return &l.ReadIOps })
	r.DeviceWriteIOps = throttle(flagDeviceWriteIOps, r.DeviceWriteIOps, func(l *runner.BlockLimits) *uint64 { return &l.WriteIOps })
	var keep []spec.WeightDevice
	for _, e := range r.BlkioWeightDevice {
		name, ok := rv.devices.volumeName(e.Device)
		if !ok {
			keep = append(keep, e)
			continue
		}
		set(flagBlkioWeightDevice, fmt.Sprintf("%s:%d", name, e.Weight), name, func(l *runner.BlockLimits) { l.Weight = e.Weight })
	}
	r.BlkioWeightDevice = keep
	return err
}

// index is the place of the volume name in refs, -1 when not attached.
func (rv *runVolumes) index(name string) int {
	for i, v := range rv.refs {
		if v.vol.Name == name {
			return i
		}
	}
	return -1
}

func (rv *runVolumes) volumes() []runner.Volume {
	out := make([]runner.Volume, len(rv.refs))
	for i, v := range rv.refs {
		out[i] = v.vol
	}
	return out
}

// flagError words a volume the library could not attach or expose with
// the flag and value that asked for it.
func (rv *runVolumes) flagError(err error) error {
	var ve *runner.VolumeError
	if !errors.As(err, &ve) || ve.Index >= len(rv.refs) {
		return err
	}
	v := rv.refs[ve.Index]
	return fmt.Errorf("--%s %q: %w", v.flag, v.value, ve.Err)
}

// parseVolumeRef recognises a volume reference in a -v value
// (NAME:/path[:ro], NAME not a path); ok is false when the source is a host
// path (a bind mount).
func parseVolumeRef(v string) (runner.Volume, bool, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || strings.HasPrefix(parts[0], "/") || strings.HasPrefix(parts[0], ".") {
		return runner.Volume{}, false, nil
	}
	if len(parts) > 3 || volume.ValidName(parts[0]) != nil {
		return runner.Volume{}, false, fmt.Errorf("invalid --volume %q: must be VOLUME:CTRDIR[:ro] or HOSTDIR:CTRDIR[:ro]", v)
	}
	ref := runner.Volume{Name: parts[0], Target: parts[1]}
	if !path.IsAbs(ref.Target) || path.Clean(ref.Target) == "/" {
		return runner.Volume{}, false, fmt.Errorf("invalid --volume %q: container path %q must be absolute and not /", v, ref.Target)
	}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			ref.ReadOnly = true
		case "rw":
		default:
			return runner.Volume{}, false, fmt.Errorf("invalid --volume %q: mode %q must be ro or rw", v, parts[2])
		}
	}
	return ref, true, nil
}
