package main

import (
	"fmt"
	"os"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deviceRule is the device cgroup rule that lets the container use a
// --device node.
type deviceRule struct {
	typ          string
	major, minor int64
	access       string
}

func (r deviceRule) cgroup() specs.LinuxDeviceCgroup {
	maj, min := r.major, r.minor
	return specs.LinuxDeviceCgroup{Allow: true, Type: r.typ, Major: &maj, Minor: &min, Access: r.access}
}

// parseDevice turns --device HOSTDEV[:CTRDEV[:PERMS]] into a device node
// and its cgroup rule.
func parseDevice(v string) (specs.LinuxDevice, deviceRule, error) {
	parts := strings.Split(v, ":")
	if len(parts) > 3 || parts[0] == "" {
		return specs.LinuxDevice{}, deviceRule{}, fmt.Errorf("invalid --device %q: must be HOSTDEV[:CTRDEV[:rwm]]", v)
	}
	host, ctr, perms := parts[0], parts[0], "rwm"
	if len(parts) > 1 && parts[1] != "" {
		ctr = parts[1]
	}
	if len(parts) > 2 {
		perms = parts[2]
	}
	if !path.IsAbs(ctr) {
		return specs.LinuxDevice{}, deviceRule{}, fmt.Errorf("invalid --device %q: container path %q must be absolute", v, ctr)
	}
	if perms == "" || strings.Trim(perms, "rwm") != "" {
		return specs.LinuxDevice{}, deviceRule{}, fmt.Errorf("invalid --device %q: permissions %q must be letters of rwm", v, perms)
	}
	var st unix.Stat_t
	if err := unix.Stat(host, &st); err != nil {
		return specs.LinuxDevice{}, deviceRule{}, fmt.Errorf("invalid --device %q: %s: %v", v, host, err)
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		typ = "b"
	case unix.S_IFCHR:
		typ = "c"
	default:
		return specs.LinuxDevice{}, deviceRule{}, fmt.Errorf("invalid --device %q: %s is not a device node", v, host)
	}
	maj, min := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	dev := specs.LinuxDevice{Path: path.Clean(ctr), Type: typ, Major: maj, Minor: min, FileMode: &mode, UID: &uid, GID: &gid}
	return dev, deviceRule{typ: typ, major: maj, minor: min, access: perms}, nil
}
