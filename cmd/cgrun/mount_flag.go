package main

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/volume"
)

const flagMount = "mount"

// mountValues collects the --mount values as given: its values hold
// commas, which a string slice flag would split.
type mountValues struct{ list []string }

// Set implements cli.Generic.
func (m *mountValues) Set(v string) error {
	m.list = append(m.list, v)
	return nil
}

// String implements cli.Generic.
func (m *mountValues) String() string {
	if m == nil {
		return ""
	}
	return strings.Join(m.list, " ")
}

// mountsOf returns the --mount values of c.
func mountsOf(c *cli.Context) []string {
	if m, ok := c.Generic(flagMount).(*mountValues); ok {
		return m.list
	}
	return nil
}

// mountSpec is one --mount value: a volume reference, or a bind mount.
type mountSpec struct {
	volume *runner.Volume
	bind   *specs.Mount
}

// parseMount parses Docker's --mount syntax:
// type=volume|bind,source=SRC,target=DST[,readonly]. source may be src,
// target dst or destination, readonly ro; readonly takes an optional
// =true|false|1|0. type defaults to volume, as in Docker.
func parseMount(v string) (mountSpec, error) {
	bad := func(rule string, a ...any) (mountSpec, error) {
		return mountSpec{}, fmt.Errorf("invalid --mount %q: "+rule, append([]any{v}, a...)...)
	}
	typ, src, dst, ro := "volume", "", "", false
	for _, kv := range strings.Split(v, ",") {
		k, val, hasVal := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "type":
			typ = val
		case "source", "src":
			src = val
		case "target", "dst", "destination":
			dst = val
		case "readonly", "ro":
			switch {
			case !hasVal, val == "true", val == "1":
				ro = true
			case val == "false", val == "0":
				ro = false
			default:
				return bad("readonly value %q must be true or false", val)
			}
		default:
			return bad("key %q: must be type, source, target or readonly", k)
		}
	}
	if dst == "" || !path.IsAbs(dst) || path.Clean(dst) == "/" {
		return bad("target %q must be an absolute container path, not /", dst)
	}
	switch typ {
	case "volume":
		if err := volume.ValidName(src); err != nil {
			return bad("source %q must be a volume name", src)
		}
		return mountSpec{volume: &runner.Volume{Name: src, Target: path.Clean(dst), ReadOnly: ro}}, nil
	case "bind":
		if !filepath.IsAbs(src) {
			return bad("source %q must be an absolute host path", src)
		}
		mode := ""
		if ro {
			mode = ":ro"
		}
		m, err := parseVolume(src + ":" + dst + mode)
		if err != nil {
			return bad("source %q must exist on the host", src)
		}
		return mountSpec{bind: &m}, nil
	default:
		return bad("type %q must be volume or bind", typ)
	}
}
