package runner

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Device is a host device node to expose in the container.
type Device struct {
	// Path is the host's device node.
	Path string
	// ContainerPath is where the container sees it (default Path).
	ContainerPath string
	// Permissions are letters of "rwm" (default "rwm").
	Permissions string
}

// Resolve reads the host node: the device node to create in the container
// and the device cgroup rule that lets the container use it. The error
// names what is wrong, not the field.
func (d Device) Resolve() (specs.LinuxDevice, specs.LinuxDeviceCgroup, error) {
	ctr := d.ContainerPath
	if ctr == "" {
		ctr = d.Path
	}
	perms := d.Permissions
	if perms == "" {
		perms = "rwm"
	}
	var none specs.LinuxDevice
	var noRule specs.LinuxDeviceCgroup
	if !path.IsAbs(ctr) {
		return none, noRule, fmt.Errorf("container path %q must be absolute", ctr)
	}
	if strings.Trim(perms, "rwm") != "" {
		return none, noRule, fmt.Errorf("permissions %q must be letters of rwm", perms)
	}
	var st unix.Stat_t
	if err := unix.Stat(d.Path, &st); err != nil {
		return none, noRule, fmt.Errorf("%s: %w", d.Path, err)
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		typ = "b"
	case unix.S_IFCHR:
		typ = "c"
	default:
		return none, noRule, errors.New(d.Path + " is not a device node")
	}
	maj, min := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	dev := specs.LinuxDevice{Path: path.Clean(ctr), Type: typ, Major: maj, Minor: min, FileMode: &mode, UID: &uid, GID: &gid}
	rule := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &maj, Minor: &min, Access: perms}
	return dev, rule, nil
}
