package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/runner"
	"github.com/cgrun/cgrun/volume"
)

// flagImageStore relocates the image store (global flag).
const flagImageStore = "image-store"

// newRuntime opens the state store named by --root with the cgroup hooks
// (their warnings printed once each, with flags); every releaser is the
// library's default.
func newRuntime(c *cli.Context) (*container.Runtime, error) {
	rt, err := container.NewRuntime(c.String("root"), container.DefaultHooks{Warn: warnOnce(errWriter(c))}, nil)
	if err == nil {
		// the fault tests' hook ($CGRUN_PAUSE_AFTER): rm's steps
		rt.AfterStep = runner.PauseAfter(os.Getenv(runner.PauseEnv))
	}
	return rt, err
}

// newRunner is the runner of the command line's --root, --image-store and
// volume registry ($CGRUN_VOLUME_DIR, as `cgrun volume` reads it).
func newRunner(c *cli.Context, progress image.Progress) (*runner.Runner, error) {
	imgOpts, err := imageOptions(c)
	if err != nil {
		return nil, err
	}
	return runner.New(runner.Options{
		AfterStep:      pauseAfter(c),
		Root:           c.String("root"),
		ImageStore:     c.String(flagImageStore),
		VolumeStateDir: volumeStateDir(),
		Network:        networkOptions(c),
		Warn:           warnOnce(errWriter(c)),
		Progress:       progress,
		ImageOptions:   imgOpts,
	})
}

func openImageStore(c *cli.Context) (*image.Store, error) {
	opts, err := imageOptions(c)
	if err != nil {
		return nil, err
	}
	return image.Open(c.String(flagImageStore), opts...)
}

// volumeStateDir is the volume registry run uses: $CGRUN_VOLUME_DIR, as
// `cgrun volume` reads it, or the default.
func volumeStateDir() string {
	if d := os.Getenv("CGRUN_VOLUME_DIR"); d != "" {
		return d
	}
	return volume.DefaultStateDir
}

func errWriter(c *cli.Context) io.Writer {
	if c.App.ErrWriter != nil {
		return c.App.ErrWriter
	}
	return os.Stderr
}

// warnOnce returns a warn func that writes each distinct warning once as
// "cgrun: warning: FLAG VALUE: ..." on w (a run checks its spec again
// when a volume is attached).
func warnOnce(w io.Writer) func(cgroup.Warning) {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(cw cgroup.Warning) {
		msg := warningText(cw)
		mu.Lock()
		defer mu.Unlock()
		if !seen[msg] {
			seen[msg] = true
			fmt.Fprintln(w, "cgrun: warning: "+msg)
		}
	}
}
