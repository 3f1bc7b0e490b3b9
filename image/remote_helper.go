//go:build cgrun_registry_helper

package image

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// remoteOptions: this build has no registry client (remote.go).
type remoteOptions struct{}

// errNoRegistryClient is what a pull through this build's own store
// answers: its registry copies go through the Store's Copier.
var errNoRegistryClient = errors.New("this build reaches registries only through cgrun-registry beside it")

// remoteSource refuses every read.
type remoteSource struct{ ref name.Reference }

func newRemoteSource(ref name.Reference, _ remoteOptions) *remoteSource {
	return &remoteSource{ref: ref}
}

func (r *remoteSource) top(context.Context) (v1.Descriptor, error) {
	return v1.Descriptor{}, fmt.Errorf("fetch %s: %w", r.ref, errNoRegistryClient)
}

func (r *remoteSource) open(context.Context, v1.Descriptor) (io.ReadCloser, error) {
	return nil, fmt.Errorf("fetch %s: %w", r.ref, errNoRegistryClient)
}

func (r *remoteSource) close() error { return nil }
