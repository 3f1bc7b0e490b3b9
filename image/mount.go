package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount is a container's root filesystem: an overlayfs whose lower layers
// are the image's shared unpacked layers and whose upper and work
// directories belong to the container alone.
type Mount struct {
	ContainerID string
	// Rootfs is the merged directory, the container's root.
	Rootfs string
	// Image is the manifest digest of the image mounted.
	Image string
}

func (s *Store) mountDir(id string) string { return filepath.Join(s.root, "mounts", id) }

// mountImageFile records which image a mount uses: rmi reads it.
const mountImageFile = "image"

// Mount mounts img for container id. The mount directory marks the image
// in use until Unmount(id). An existing mount of id is an error.
func (s *Store) Mount(ctx context.Context, img *Image, id string) (*Mount, error) {
	if id == "" || !filepath.IsLocal(id) || strings.ContainsRune(id, '/') {
		return nil, fmt.Errorf("%w: container id %q", ErrBadReference, id)
	}
	l, err := s.lock(gcLock, unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if _, err := s.Lookup(img.Name); err != nil {
		return nil, err
	}
	lower := make([]string, 0, len(img.Layers))
	for i := len(img.Layers) - 1; i >= 0; i-- { // topmost layer first
		ly := img.Layers[i]
		if !s.hasLayer(ly.DiffID) {
			if err := s.unpackLayer(ctx, ly); err != nil {
				return nil, err
			}
		}
		lower = append(lower, s.layerDir(ly.DiffID))
	}
	if len(lower) == 0 {
		if err := os.MkdirAll(s.emptyLayerDir(), 0o755); err != nil {
			return nil, fmt.Errorf("mount image %s: %w", img.Name, err)
		}
		lower = append(lower, s.emptyLayerDir())
	}
	dir := s.mountDir(id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("mount image for container %s: already mounted at %s", id, dir)
		}
		return nil, fmt.Errorf("mount image for container %s: %w", id, err)
	}
	m := &Mount{ContainerID: id, Rootfs: filepath.Join(dir, "merged"), Image: img.Digest.String()}
	if err := s.mountOverlay(dir, lower, img.Digest.String()); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mount image %s for container %s: %w", img.Name, id, err)
	}
	return m, nil
}

func (s *Store) mountOverlay(dir string, lower []string, digest string) error {
	if err := os.WriteFile(filepath.Join(dir, mountImageFile), []byte(digest+"\n"), 0o600); err != nil {
		return err
	}
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, p := range lower {
		if strings.ContainsAny(p, ":,") {
			return fmt.Errorf("%w: layer path %q holds ':' or ','", ErrUnsupported, p)
		}
	}
	data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s",
		strings.Join(lower, ":"), filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	if len(data) >= os.Getpagesize() {
		return fmt.Errorf("%w: overlay options of %d layers exceed one page (%d bytes)", ErrUnsupported, len(lower), len(data))
	}
	if err := unix.Mount("overlay", filepath.Join(dir, "merged"), "overlay", 0, data); err != nil {
		return fmt.Errorf("mount overlay: %w", err)
	}
	return nil
}

// Unmount unmounts container id's root filesystem and removes its upper
// and work directories, releasing the image. Unmounting what is not
// mounted is not an error, so a release may be retried.
func (s *Store) Unmount(id string) error {
	if id == "" || !filepath.IsLocal(id) || strings.ContainsRune(id, '/') {
		return fmt.Errorf("%w: container id %q", ErrBadReference, id)
	}
	dir := s.mountDir(id)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	merged := filepath.Join(dir, "merged")
	err := unix.Unmount(merged, 0)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(merged, unix.MNT_DETACH)
	}
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount rootfs of container %s: %w", id, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove rootfs of container %s: %w", id, err)
	}
	return nil
}

// Mounts lists the container ids with a mount, and the image digest each uses.
func (s *Store) Mounts() (map[string]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "mounts"))
	if err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(s.root, "mounts", e.Name(), mountImageFile))
		if errors.Is(err, os.ErrNotExist) {
			continue // being set up or torn down
		}
		if err != nil {
			return nil, fmt.Errorf("list mounts: %w", err)
		}
		out[e.Name()] = strings.TrimSpace(string(b))
	}
	return out, nil
}

// ResolveMount is Resolve, then Mount for container id, with the image
// held in between: no rmi of it runs from before the resolve (a pull)
// until the mount marks it in use, so a run racing an rmi of its image
// either mounts it or finds it gone before the pull.
func (s *Store) ResolveMount(ctx context.Context, ref, id string, p Progress) (*Image, *Mount, error) {
	l, err := s.lock(gcLock, unix.LOCK_SH)
	if err != nil {
		return nil, nil, err
	}
	defer l.Unlock()
	img, err := s.Resolve(ctx, ref, p)
	if err != nil {
		// a failed pull's sweep needs the store to itself: this hold too
		l.Unlock()
		s.sweep()
		return nil, nil, err
	}
	m, err := s.Mount(ctx, img, id)
	if err != nil {
		return nil, nil, err
	}
	return img, m, nil
}
