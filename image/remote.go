//go:build !cgrun_registry_helper

package image

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registries are reached through go-containerregistry's remote package
// (net/http, crypto/tls and their package inits). bin/cgrun, built with
// the tag cgrun_registry_helper, leaves them out: it copies images from
// registries through cgrun-registry beside it (the Store's Copier), and
// its store reaches no registry itself (remote_helper.go).

// remoteOptions are the options of every registry request.
type remoteOptions = []remote.Option

// WithRemoteOptions passes options (transport, auth) to registry requests.
func WithRemoteOptions(o ...remote.Option) Option {
	return func(s *Store) { s.remote = append(s.remote, o...) }
}

// remoteSource reads a registry through go-containerregistry.
type remoteSource struct {
	ref      name.Reference
	opts     []remote.Option
	manifest map[v1.Hash][]byte // manifests and indexes already fetched
}

func newRemoteSource(ref name.Reference, opts []remote.Option) *remoteSource {
	return &remoteSource{ref: ref, opts: opts, manifest: map[v1.Hash][]byte{}}
}

func (r *remoteSource) top(ctx context.Context) (v1.Descriptor, error) {
	d, err := remote.Get(r.ref, append([]remote.Option{remote.WithContext(ctx)}, r.opts...)...)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("fetch %s: %w", r.ref, err)
	}
	r.manifest[d.Digest] = d.Manifest
	return d.Descriptor, nil
}

func (r *remoteSource) open(ctx context.Context, desc v1.Descriptor) (io.ReadCloser, error) {
	opts := append([]remote.Option{remote.WithContext(ctx)}, r.opts...)
	if b, ok := r.manifest[desc.Digest]; ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	dref := r.ref.Context().Digest(desc.Digest.String())
	if desc.MediaType.IsIndex() || desc.MediaType.IsImage() {
		d, err := remote.Get(dref, opts...)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", dref, err)
		}
		return io.NopCloser(bytes.NewReader(d.Manifest)), nil
	}
	l, err := remote.Layer(dref, opts...)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", dref, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", dref, err)
	}
	return rc, nil
}

func (r *remoteSource) close() error { return nil }
