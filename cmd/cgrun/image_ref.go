package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/image"
)

// resolvedImage is what an image reference becomes: a root filesystem
// directory, what was acquired to provide it (released when the container
// goes away), and the image's process defaults.
type resolvedImage struct {
	Rootfs   string
	Releases []container.Release
	// Process is the image config's Env, Entrypoint, Cmd, WorkingDir and
	// User; a plain directory has none.
	Process image.Process
	store   *image.Store
	mountID string
}

// resolveImage turns the IMAGE argument of run (or --rootfs) into a root
// filesystem: a directory is used as it is; oci:DIR[:TAG],
// oci-archive:FILE[:TAG], docker://REGISTRY/NAME[:TAG|@DIGEST] and names
// in the image store are pulled into the store when needed and mounted
// (overlayfs: the shared layers below, a private writable layer on top).
func resolveImage(c *cli.Context, ref string) (*resolvedImage, error) {
	if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
		abs, err := filepath.Abs(ref)
		if err != nil {
			return nil, fmt.Errorf("image %q: %w", ref, err)
		}
		return &resolvedImage{Rootfs: abs, Process: image.Process{Cmd: []string{"sh"}}}, nil
	}
	st, err := openImageStore(c)
	if err != nil {
		return nil, err
	}
	img, err := st.Resolve(c.Context, ref, newPullProgress(c.App.ErrWriter, true))
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref, err)
	}
	id, err := newMountID()
	if err != nil {
		return nil, err
	}
	m, err := st.Mount(c.Context, img, id)
	if err != nil {
		return nil, err
	}
	rel, err := imageMountRelease(st, id)
	if err != nil {
		_ = st.Unmount(id)
		return nil, err
	}
	return &resolvedImage{
		Rootfs:   m.Rootfs,
		Releases: []container.Release{rel},
		Process:  img.Process,
		store:    st,
		mountID:  id,
	}, nil
}

// release gives back the mount when the container is never created.
func (r *resolvedImage) release() error {
	if r == nil || r.store == nil {
		return nil
	}
	return r.store.Unmount(r.mountID)
}

func newMountID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mount id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// releaseImageMount is the release kind of an image rootfs mount: Target is
// the mount ID, Data the store that holds it, so any later cgrun process
// (rm, the monitor) releases it whatever its --image-store.
const releaseImageMount container.ReleaseKind = "image-mount"

type imageMountData struct {
	Store string `json:"store"`
}

func imageMountRelease(st *image.Store, id string) (container.Release, error) {
	data, err := json.Marshal(imageMountData{Store: st.Root()})
	if err != nil {
		return container.Release{}, err
	}
	return container.Release{Kind: releaseImageMount, Target: id, Data: data}, nil
}

// imageMountReleaser unmounts an image rootfs and removes its writable layer.
type imageMountReleaser struct{}

// Release implements container.Releaser.
func (imageMountReleaser) Release(r container.Release) error {
	var d imageMountData
	if err := json.Unmarshal(r.Data, &d); err != nil || d.Store == "" {
		return fmt.Errorf("image mount %s: no store in its release record", r.Target)
	}
	st, err := image.Open(d.Store)
	if err != nil {
		return err
	}
	return st.Unmount(r.Target)
}

// flagImageStore relocates the image store (global flag).
const flagImageStore = "image-store"

func openImageStore(c *cli.Context) (*image.Store, error) {
	return image.Open(c.String(flagImageStore))
}
