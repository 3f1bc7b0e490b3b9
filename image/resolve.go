package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sys/unix"
)

// Pull copies the image ref names into the store (verifying every blob,
// unpacking its layers) and records it under name, or under the
// reference's canonical form when name is empty. A store reference is
// looked up, not copied.
//
// A pull that fails (a full disk, a bad blob, a cancel) leaves nothing: what
// it stored is collected once no other pull or mount holds the store.
func (s *Store) Pull(ctx context.Context, ref Reference, name string, p Progress) (*Image, error) {
	if name == "" {
		name = ref.String()
	} else if err := ValidName(name); err != nil {
		return nil, err
	}
	img, err := s.pull(ctx, ref, name, p)
	if err != nil && ref.Transport != TransportStore {
		s.sweep()
	}
	return img, err
}

func (s *Store) pull(ctx context.Context, ref Reference, name string, p Progress) (*Image, error) {
	if ref.Transport == TransportStore {
		return s.Lookup(ref.Name)
	}
	if s.external != nil {
		if err := s.external(ctx, ref, name, p); err != nil {
			return nil, err
		}
		return s.Lookup(name)
	}
	var ver *Verification
	if s.verifier != nil {
		v, err := s.verifier.Verify(ctx, ref)
		if err != nil {
			return nil, err
		}
		ver = v
	}
	l, err := s.lock(gcLock, unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	var src source
	switch ref.Transport {
	case TransportLayout:
		l, err := newLayoutSource(ref.Path, ref.Tag, ref.String())
		if err != nil {
			return nil, err
		}
		src = l
	case TransportArchive:
		l, err := s.newArchiveSource(ref.Path, ref.Tag, ref.String())
		if err != nil {
			return nil, err
		}
		src = l
	case TransportRegistry:
		src = newRemoteSource(s.pinned(ref.Remote, ver), s.remote)
	default:
		return nil, fmt.Errorf("%w: transport %d", ErrBadReference, ref.Transport)
	}
	defer src.close()
	return s.fetch(ctx, src, name, ref.String(), ver, p)
}

// pinned is the registry reference a pull takes: the manifest digest the
// verifier checked, so a tag moved since is not what gets copied, parsed
// as insecure when the registry may be reached over plain HTTP.
func (s *Store) pinned(r name.Reference, ver *Verification) name.Reference {
	var opts []name.Option
	if s.insecure != nil && s.insecure(r.Context().RegistryStr()) {
		opts = append(opts, name.Insecure)
	}
	ident := r.Identifier()
	sep := ":"
	if ver != nil && ver.Digest.Hex != "" {
		ident, sep = ver.Digest.String(), "@"
	} else if _, ok := r.(name.Digest); ok {
		sep = "@"
	}
	if p, err := name.ParseReference(r.Context().Name()+sep+ident, opts...); err == nil {
		return p
	}
	return r
}

// Resolve turns an IMAGE argument of `cgrun run` into a stored image: a
// store name is looked up; oci:, oci-archive: and docker:// references are
// copied in first (blobs already stored are not copied again).
func (s *Store) Resolve(ctx context.Context, ref string, p Progress) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	return s.Pull(ctx, r, "", p)
}
