package main

import (
	"fmt"
	"strings"

	"github.com/cgrun/cgrun/runner"
)

// parseDevice turns --device HOSTDEV[:CTRDEV[:PERMS]] into a device of the
// request, checked against the host node now so a bad one fails at parse
// time with the flag's value.
func parseDevice(v string) (runner.Device, error) {
	parts := strings.Split(v, ":")
	if len(parts) > 3 || parts[0] == "" {
		return runner.Device{}, fmt.Errorf("invalid --device %q: must be HOSTDEV[:CTRDEV[:rwm]]", v)
	}
	d := runner.Device{Path: parts[0]}
	if len(parts) > 1 {
		d.ContainerPath = parts[1]
	}
	if len(parts) > 2 {
		d.Permissions = parts[2]
		if d.Permissions == "" {
			return runner.Device{}, fmt.Errorf("invalid --device %q: permissions %q must be letters of rwm", v, d.Permissions)
		}
	}
	if _, _, err := d.Resolve(); err != nil {
		return runner.Device{}, fmt.Errorf("invalid --device %q: %v", v, err)
	}
	return d, nil
}
