package volume

import (
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// OCIMount is the bind mount that exposes a filesystem volume at target in
// the container (read-only when the exposure is).
func (e *Exposure) OCIMount(target string) (specs.Mount, error) {
	if e.Mode != ModeFilesystem {
		return specs.Mount{}, invalidf("volume %q is a block volume: expose it as a device", e.Volume)
	}
	if !path.IsAbs(target) || path.Clean(target) == "/" {
		return specs.Mount{}, invalidf("volume %q: container path %q must be absolute and not /", e.Volume, target)
	}
	opts := []string{"rbind", "rprivate", "nosuid", "nodev"}
	if e.ReadOnly {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: path.Clean(target), Type: "bind", Source: e.Source, Options: opts}, nil
}

// OCIDevice is the device node (at target in the container) and the device
// cgroup rule that expose a block volume.
func (e *Exposure) OCIDevice(target string) (specs.LinuxDevice, specs.LinuxDeviceCgroup, error) {
	if !path.IsAbs(target) {
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, invalidf("volume %q: device path %q must be absolute", e.Volume, target)
	}
	maj, min := int64(e.Major), int64(e.Minor)
	mode := os.FileMode(0o660)
	access := "rwm"
	if e.ReadOnly {
		access = "r"
		mode = 0o440
	}
	var uid, gid uint32
	d := specs.LinuxDevice{Path: path.Clean(target), Type: "b", Major: maj, Minor: min, FileMode: &mode, UID: &uid, GID: &gid}
	r := specs.LinuxDeviceCgroup{Allow: true, Type: "b", Major: &maj, Minor: &min, Access: access}
	return d, r, nil
}

// String describes the exposure for logs.
func (e *Exposure) String() string {
	if e.Mode == ModeBlock {
		return fmt.Sprintf("%s: block %s (%d:%d) ro=%t", e.Volume, e.Device, e.Major, e.Minor, e.ReadOnly)
	}
	return fmt.Sprintf("%s: %s on %s ro=%t", e.Volume, e.Device, e.Source, e.ReadOnly)
}
