package image

import (
	"errors"
	"fmt"
)

var (
	// ErrBadReference: the image reference cannot be parsed.
	ErrBadReference = errors.New("invalid image reference")
	// ErrNotFound: no image of that name in the store or source.
	ErrNotFound = errors.New("image not found")
	// ErrDigestMismatch: a blob's bytes do not match its descriptor.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrUnsupported: a media type, platform or file type cgrun does not handle.
	ErrUnsupported = errors.New("unsupported")
	// ErrUnsafePath: a layer entry points outside the layer root.
	ErrUnsafePath = errors.New("unsafe path in layer")
	// ErrInUse: a container's mount uses the image.
	ErrInUse = errors.New("image is in use")
)

// MismatchError says which blob failed verification and how.
type MismatchError struct {
	Digest       string
	WantSize     int64
	GotSize      int64
	GotDigest    string
	What         string // "layer", "config", "manifest", "index", "diff"
	SizeMismatch bool
}

func (e *MismatchError) Error() string {
	if e.SizeMismatch {
		return fmt.Sprintf("%s %s: size %d, descriptor says %d", e.What, e.Digest, e.GotSize, e.WantSize)
	}
	return fmt.Sprintf("%s %s: content hashes to %s", e.What, e.Digest, e.GotDigest)
}

func (e *MismatchError) Unwrap() error { return ErrDigestMismatch }

// InUseError names the containers that use an image.
type InUseError struct {
	Image      string
	Containers []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("image %s is used by container(s) %v: remove them first", e.Image, e.Containers)
}

func (e *InUseError) Unwrap() error { return ErrInUse }
