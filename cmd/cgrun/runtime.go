package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
)

// newRuntime opens the state store named by --root with cgrun's cgroup
// hooks and every releaser cgrun knows (packages that acquire resources
// for containers register theirs here).
func newRuntime(c *cli.Context, cgroupParent string) (*container.Runtime, error) {
	if cgroupParent == "" {
		cgroupParent = container.DefaultCgroupParent
	}
	errw := c.App.ErrWriter
	if errw == nil {
		errw = os.Stderr
	}
	return container.NewRuntime(c.String("root"), cgroupHooks{parent: cgroupParent, warn: warnOnce(errw)}, releasers())
}

// releasers are the Releasers beyond the container package's own (mounts):
// volume attachments and the like plug in here.
func releasers() container.Releasers {
	return container.Releasers{releaseImageMount: imageMountReleaser{}, releaseVolume: volumeReleaser{}}
}
