package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/volume"
)

// releaseVolume is the container release kind of an attached volume:
// Target is the volume name, Data a volumeReleaseData.
const releaseVolume container.ReleaseKind = "volume"

type volumeReleaseData struct {
	User     string `json:"user"`
	StateDir string `json:"stateDir"`
}

// volumeReleaser detaches a container's volume when the container goes
// away (foreground exit, --rm, the monitor, rm -f); idempotent.
type volumeReleaser struct{}

// Release implements container.Releaser.
func (volumeReleaser) Release(r container.Release) error {
	var d volumeReleaseData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return fmt.Errorf("volume release data of %s: %w", r.Target, err)
	}
	m := volume.NewManager(volume.Options{StateDir: d.StateDir})
	err := m.Detach(context.Background(), r.Target, d.User)
	if errors.Is(err, volume.ErrNotFound) {
		return nil // not registered: nothing of it can be attached
	}
	return err
}

// volumeRef is -v NAME:/path[:ro] (NAME not a path) or --mount
// type=volume,source=NAME,target=/path[,readonly].
type volumeRef struct {
	Name     string
	Target   string
	ReadOnly bool
}

// parseVolumeRef recognises a volume reference in a -v value; ok is false
// when the source is a host path (a bind mount).
func parseVolumeRef(v string) (volumeRef, bool, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || strings.HasPrefix(parts[0], "/") || strings.HasPrefix(parts[0], ".") {
		return volumeRef{}, false, nil
	}
	if len(parts) > 3 || volume.ValidName(parts[0]) != nil {
		return volumeRef{}, false, fmt.Errorf("invalid --volume %q: must be VOLUME:CTRDIR[:ro] or HOSTDIR:CTRDIR[:ro]", v)
	}
	ref := volumeRef{Name: parts[0], Target: parts[1]}
	if !path.IsAbs(ref.Target) || path.Clean(ref.Target) == "/" {
		return volumeRef{}, false, fmt.Errorf("invalid --volume %q: container path %q must be absolute and not /", v, ref.Target)
	}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			ref.ReadOnly = true
		case "rw":
		default:
			return volumeRef{}, false, fmt.Errorf("invalid --volume %q: mode %q must be ro or rw", v, parts[2])
		}
	}
	return ref, true, nil
}

// volumeRelease is the release to record in the container's state BEFORE
// attachVolume runs, so a crash never leaves an unrecorded attachment.
func volumeRelease(stateDir, user string, ref volumeRef) container.Release {
	data, _ := json.Marshal(volumeReleaseData{User: user, StateDir: stateDir})
	return container.Release{Kind: releaseVolume, Target: ref.Name, Data: data}
}

// exposeVolume adds to s what exposes an attached volume at ref.Target: a
// bind mount of the staging directory, or (block mode) a device node with
// its device cgroup rule.
func exposeVolume(e *volume.Exposure, ref volumeRef, s *specs.Spec) error {
	if e.Mode == volume.ModeBlock {
		dev, rule, err := e.OCIDevice(ref.Target)
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
	mnt, err := e.OCIMount(ref.Target)
	if err != nil {
		return err
	}
	s.Mounts = append(s.Mounts, mnt)
	return nil
}
