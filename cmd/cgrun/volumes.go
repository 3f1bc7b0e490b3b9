package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// parseVolume turns -v HOSTDIR:CTRDIR[:ro|rw] into a bind mount. The host
// directory must exist and the container path be absolute.
func parseVolume(v string) (specs.Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return specs.Mount{}, fmt.Errorf("invalid --volume %q: must be HOSTDIR:CTRDIR[:ro]", v)
	}
	src, dst := parts[0], parts[1]
	if !filepath.IsAbs(src) {
		return specs.Mount{}, fmt.Errorf("invalid --volume %q: host path %q must be absolute", v, src)
	}
	if !path.IsAbs(dst) || path.Clean(dst) == "/" {
		return specs.Mount{}, fmt.Errorf("invalid --volume %q: container path %q must be absolute and not /", v, dst)
	}
	if _, err := os.Stat(src); err != nil {
		return specs.Mount{}, fmt.Errorf("invalid --volume %q: host path %q does not exist", v, src)
	}
	opts := []string{"rbind", "rprivate"}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			opts = append(opts, "ro")
		case "rw":
		default:
			return specs.Mount{}, fmt.Errorf("invalid --volume %q: mode %q must be ro or rw", v, parts[2])
		}
	}
	return specs.Mount{Destination: path.Clean(dst), Type: "bind", Source: filepath.Clean(src), Options: opts}, nil
}
