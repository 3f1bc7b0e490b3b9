package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/image"
)

// rootfs is what Request.Image becomes: a root filesystem directory and
// the image's process defaults.
type rootfs struct {
	dir string
	// process is the image config's Env, Entrypoint, Cmd, WorkingDir and
	// User; a plain directory has none but the default command.
	process image.Process
}

// resolveImage turns Request.Image into a root filesystem for container
// id: a directory is used as it is; a reference is pulled into the store
// when needed and mounted (overlayfs: the shared layers below, a private
// writable layer on top), the mount recorded in the container's state as a
// release of kind container.ReleaseImageMount before it is made.
func (r *Runner) resolveImage(ctx context.Context, ref, id string) (*rootfs, error) {
	if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
		abs, err := filepath.Abs(ref)
		if err != nil {
			return nil, fmt.Errorf("image %q: %w", ref, err)
		}
		return &rootfs{dir: abs, process: image.Process{Cmd: []string{"sh"}}}, nil
	}
	st, err := r.imageStore()
	if err != nil {
		return nil, err
	}
	mountID, err := newMountID()
	if err != nil {
		return nil, err
	}
	if err := r.rt.Record(id, container.Release{Kind: container.ReleaseImageMount, Target: mountID, Data: st.ReleaseData()}); err != nil {
		return nil, err
	}
	img, m, err := st.ResolveMount(ctx, ref, mountID, r.opts.Progress)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref, err)
	}
	return &rootfs{dir: m.Rootfs, process: img.Process}, nil
}

func newMountID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mount id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
