package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
)

// version is what `cgrun --version` prints, as `runc --version` does: the
// build's revision, the runtime-spec version cgrun writes, the
// libcontainer release it runs containers with, and the Go release.
func version() string {
	rev, lc := "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					rev += "-dirty"
				}
			}
		}
		for _, m := range bi.Deps {
			if m.Path == "github.com/opencontainers/runc" {
				lc = m.Version
			}
		}
	}
	return strings.Join([]string{
		"commit: " + rev,
		"spec: " + specs.Version,
		"libcontainer: " + lc,
		"seccomp: " + seccompVersion(),
		"go: " + runtime.Version(),
	}, "\n")
}

// seccompVersion says whether libcontainer's seccomp support is compiled
// in, and the libseccomp it runs with.
func seccompVersion() string {
	if !seccomp.Enabled {
		return "not compiled in"
	}
	major, minor, micro := seccomp.Version()
	return fmt.Sprintf("libseccomp %d.%d.%d", major, minor, micro)
}

func init() {
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Fprintf(c.App.Writer, "cgrun\n%s\n", c.App.Version)
	}
}
