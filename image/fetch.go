package image

import (
	"bytes"
	"context"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxManifestSize bounds indexes, manifests and configs read into memory.
const maxManifestSize = 8 << 20

// fetch copies the image src names into the store, verifying every blob,
// unpacks its layers and records it under name. Callers hold gc.lock
// shared so rmi cannot delete what it writes before the record exists.
func (s *Store) fetch(ctx context.Context, src source, name, label string, ver *Verification, p Progress) (*Image, error) {
	if p == nil {
		p = noProgress{}
	}
	top, err := src.top(ctx)
	if err != nil {
		return nil, err
	}
	if ver != nil && ver.Digest.Hex != "" && top.Digest != ver.Digest {
		return nil, fmt.Errorf("%w: image %s changed after its verification: manifest %s, verified %s", ErrDigestMismatch, label, top.Digest, ver.Digest)
	}
	img := &Image{Name: name, Source: label, Verification: ver}
	mdesc, err := s.resolveManifest(ctx, src, top, img, 0)
	if err != nil {
		return nil, err
	}
	mb, err := s.readBlob(mdesc, "manifest")
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(mb))
	if err != nil {
		return nil, fmt.Errorf("parse manifest %s: %w", mdesc.Digest, err)
	}
	if err := checkMediaType("config", m.Config.MediaType, configTypes); err != nil {
		return nil, err
	}
	cb, err := s.fetchSmall(ctx, src, m.Config, "config")
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cb))
	if err != nil {
		return nil, fmt.Errorf("parse config %s: %w", m.Config.Digest, err)
	}
	if cfg.OS != "" && (cfg.OS != s.platform.OS || cfg.Architecture != s.platform.Architecture) {
		return nil, fmt.Errorf("%w platform: image %s is for %s/%s, not %s", ErrUnsupported, label, cfg.OS, cfg.Architecture, s.platform.String())
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("image %s: config lists %d diff_ids for %d layers", label, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	img.Digest, img.Config = mdesc.Digest, m.Config.Digest
	img.Blobs = append(img.Blobs, mdesc.Digest, m.Config.Digest)
	img.Platform = v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	img.Created = cfg.Created.Time
	img.Process = processOf(cfg.Config)

	for i, ld := range m.Layers {
		if err := checkMediaType("layer", ld.MediaType, layerTypes); err != nil {
			return nil, err
		}
		if err := s.fetchBlob(ctx, src, ld, "layer", p); err != nil {
			return nil, err
		}
		layer := Layer{Digest: ld.Digest, DiffID: cfg.RootFS.DiffIDs[i], Size: ld.Size, MediaType: ld.MediaType}
		if err := s.unpackLayer(ctx, layer); err != nil {
			return nil, err
		}
		img.Layers = append(img.Layers, layer)
		img.Blobs = append(img.Blobs, ld.Digest)
		img.Size += ld.Size
	}
	img.Stored = time.Now().UTC()
	if err := s.updateRecords(func(r records) error { r[name] = img; return nil }); err != nil {
		return nil, err
	}
	return img, nil
}

// resolveManifest follows indexes (choosing this store's platform) down
// to an image manifest, storing each verified blob on the way.
func (s *Store) resolveManifest(ctx context.Context, src source, d v1.Descriptor, img *Image, depth int) (v1.Descriptor, error) {
	if depth > 4 {
		return v1.Descriptor{}, fmt.Errorf("%w: indexes nested deeper than 4", ErrUnsupported)
	}
	switch {
	case d.MediaType.IsImage():
		if _, err := s.fetchSmall(ctx, src, d, "manifest"); err != nil {
			return v1.Descriptor{}, err
		}
		return d, nil
	case d.MediaType.IsIndex():
		b, err := s.fetchSmall(ctx, src, d, "index")
		if err != nil {
			return v1.Descriptor{}, err
		}
		im, err := v1.ParseIndexManifest(bytes.NewReader(b))
		if err != nil {
			return v1.Descriptor{}, fmt.Errorf("parse index %s: %w", d.Digest, err)
		}
		next, err := choosePlatform(im.Manifests, s.platform)
		if err != nil {
			return v1.Descriptor{}, err
		}
		img.Blobs = append(img.Blobs, d.Digest)
		return s.resolveManifest(ctx, src, next, img, depth+1)
	}
	return v1.Descriptor{}, fmt.Errorf("%w media type %q for %s (want an OCI or Docker v2 schema 2 manifest or index)", ErrUnsupported, d.MediaType, d.Digest)
}

// fetchSmall stores a small blob and returns its verified bytes.
func (s *Store) fetchSmall(ctx context.Context, src source, d v1.Descriptor, what string) ([]byte, error) {
	if d.Size < 0 || d.Size > maxManifestSize {
		return nil, fmt.Errorf("%s %s: size %d out of range (max %d)", what, d.Digest, d.Size, maxManifestSize)
	}
	if err := s.fetchBlob(ctx, src, d, what, noProgress{}); err != nil {
		return nil, err
	}
	return s.readBlob(d, what)
}

func (s *Store) fetchBlob(ctx context.Context, src source, d v1.Descriptor, what string, p Progress) error {
	if s.hasBlob(d) {
		p.BlobStart(what, d, true)
		p.BlobDone(d, nil)
		return nil
	}
	p.BlobStart(what, d, false)
	rc, err := src.open(ctx, d)
	if err != nil {
		err = fmt.Errorf("fetch %s %s: %w", what, d.Digest, err)
		p.BlobDone(d, err)
		return err
	}
	defer rc.Close()
	err = s.putBlob(d, what, &countingReader{r: rc, desc: d, p: p})
	p.BlobDone(d, err)
	return err
}

var (
	configTypes = []types.MediaType{types.OCIConfigJSON, types.DockerConfigJSON}
	layerTypes  = []types.MediaType{
		types.OCILayer, types.OCILayerZStd, types.OCIUncompressedLayer,
		types.DockerLayer, types.DockerUncompressedLayer,
		types.OCIRestrictedLayer, types.OCIUncompressedRestrictedLayer,
		types.DockerForeignLayer,
	}
)

func checkMediaType(what string, mt types.MediaType, ok []types.MediaType) error {
	for _, m := range ok {
		if mt == m {
			return nil
		}
	}
	return fmt.Errorf("%w %s media type %q", ErrUnsupported, what, mt)
}
