package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/network"
	"github.com/cgrun/cgrun/volume"
)

// ReleaseKind names what a Release gives back; each kind has one Releaser.
type ReleaseKind string

// The kinds every Runtime releases: each has its releaser in the package
// that owns the resource, registered by DefaultReleasers.
const (
	// ReleaseMount unmounts Target (a bind mount).
	ReleaseMount ReleaseKind = "mount"
	// ReleaseImageMount unmounts the rootfs mount Target of an image store
	// (image.ReleaseMount; Data from Store.ReleaseData).
	ReleaseImageMount ReleaseKind = image.ReleaseKind
	// ReleaseVolume detaches the volume Target from a container
	// (volume.Release; Data from volume.ReleaseData).
	ReleaseVolume ReleaseKind = volume.ReleaseKind
	// ReleaseNetwork detaches a container from its networks and removes
	// its network namespace (network.Release; Data from
	// network.Manager.ReleaseData).
	ReleaseNetwork ReleaseKind = network.ReleaseKind
)

// Release is one thing a container holds that must be given back when it
// goes away: a mount, an attached volume. It is recorded in the state
// before it is acquired, so a crash never leaves it unrecorded.
type Release struct {
	Kind ReleaseKind `json:"kind"`
	// Target is what to release (a mount point, a volume name).
	Target string `json:"target"`
	// Data is what the kind's releaser needs beyond Target.
	Data json.RawMessage `json:"data,omitempty"`
}

// Releaser gives back one kind of Release. Release must be idempotent:
// releasing what is already released succeeds.
type Releaser interface {
	Release(Release) error
}

// ReleaserFunc adapts a package's release function (target, data) to
// Releaser.
type ReleaserFunc func(target string, data json.RawMessage) error

// Release implements Releaser.
func (f ReleaserFunc) Release(r Release) error { return f(r.Target, r.Data) }

// Releasers maps each kind to its releaser.
type Releasers map[ReleaseKind]Releaser

// DefaultReleasers holds the releasers of every kind cgrun's packages
// acquire for a container: mounts, image rootfs mounts (package image),
// volume attachments (package volume) and network attachments (package
// network). Any process that opens a state
// directory releases any of its containers with them, whoever started it.
func DefaultReleasers() Releasers {
	return Releasers{
		ReleaseMount:      MountReleaser{},
		ReleaseImageMount: ReleaserFunc(image.ReleaseMount),
		ReleaseVolume:     ReleaserFunc(volume.Release),
		ReleaseNetwork:    ReleaserFunc(network.Release),
	}
}

// MountReleaser unmounts Release.Target, lazily (MNT_DETACH) so a busy
// mount still goes away; a target that is not a mount point is released.
type MountReleaser struct{}

// Release implements Releaser.
func (MountReleaser) Release(r Release) error {
	err := unix.Unmount(r.Target, unix.MNT_DETACH)
	if err == nil || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return &os.PathError{Op: "umount", Path: r.Target, Err: err}
}

func (rs Releasers) release(r Release) error {
	rel, ok := rs[r.Kind]
	if !ok {
		return fmt.Errorf("%w for %q (target %s)", ErrNoReleaser, r.Kind, r.Target)
	}
	if err := rel.Release(r); err != nil {
		return fmt.Errorf("release %s %s: %w", r.Kind, r.Target, err)
	}
	return nil
}

// ReleaseUnused gives back, in reverse order, what was acquired for a
// container that never got a state (Prepare refused it). Every release is
// tried; the first error is returned.
func (r *Runtime) ReleaseUnused(rels []Release) error {
	var first error
	for i := len(rels) - 1; i >= 0; i-- {
		if err := r.Releasers.release(rels[i]); err != nil && first == nil {
			first = err
		}
	}
	return first
}
