package image

import (
	"context"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// source is where an image's blobs come from. It only finds and streams
// bytes: the store verifies every one against its descriptor.
type source interface {
	// top is the descriptor the reference names: an index or a manifest.
	top(ctx context.Context) (v1.Descriptor, error)
	// open streams a blob.
	open(ctx context.Context, desc v1.Descriptor) (io.ReadCloser, error)
	close() error
}

// annotationRefName tags a manifest in an image layout's index.json.
const annotationRefName = "org.opencontainers.image.ref.name"

// layoutSource reads an OCI image layout directory.
type layoutSource struct {
	path  layout.Path
	tag   string
	label string
	done  func() error
}

func newLayoutSource(dir, tag, label string) (*layoutSource, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not an OCI image layout: %w", ErrNotFound, label, err)
	}
	return &layoutSource{path: p, tag: tag, label: label}, nil
}

func (l *layoutSource) top(context.Context) (v1.Descriptor, error) {
	idx, err := l.path.ImageIndex()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("read %s index.json: %w", l.label, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("read %s index.json: %w", l.label, err)
	}
	return pickTagged(im.Manifests, l.tag, l.label)
}

// pickTagged chooses the index.json entry whose ref.name annotation is tag
// (or ends in ":"+tag, as containerd writes full names); with no tag, the
// only entry.
func pickTagged(ms []v1.Descriptor, tag, label string) (v1.Descriptor, error) {
	var tags []string
	var hits []v1.Descriptor
	for _, d := range ms {
		ref := d.Annotations[annotationRefName]
		tags = append(tags, ref)
		if tag != "" && (ref == tag || strings.HasSuffix(ref, ":"+tag)) {
			hits = append(hits, d)
		}
	}
	switch {
	case tag == "" && len(ms) == 1:
		return ms[0], nil
	case tag == "":
		return v1.Descriptor{}, fmt.Errorf("%w: %s holds %d images %q: name one with :TAG", ErrBadReference, label, len(ms), tags)
	case len(hits) == 1:
		return hits[0], nil
	case len(hits) > 1:
		return v1.Descriptor{}, fmt.Errorf("%w: tag %q names %d images in %s", ErrBadReference, tag, len(hits), label)
	}
	return v1.Descriptor{}, fmt.Errorf("%w: no tag %q in %s (tags: %q)", ErrNotFound, tag, label, tags)
}

func (l *layoutSource) open(_ context.Context, desc v1.Descriptor) (io.ReadCloser, error) {
	return l.path.Blob(desc.Digest)
}

func (l *layoutSource) close() error {
	if l.done != nil {
		return l.done()
	}
	return nil
}
