package image

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/pkg/archive"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
)

// layerDir is where a layer is unpacked, by its uncompressed digest.
func (s *Store) layerDir(diffID v1.Hash) string {
	return filepath.Join(s.root, "layers", diffID.Algorithm, diffID.Hex)
}

// emptyLayerDir is the lower directory of an image with no layers.
func (s *Store) emptyLayerDir() string { return filepath.Join(s.root, "layers", "empty") }

func (s *Store) hasLayer(diffID v1.Hash) bool {
	fi, err := os.Stat(s.layerDir(diffID))
	return err == nil && fi.IsDir()
}

// unpackLayer unpacks a stored, verified layer blob once per diff ID:
// into a temporary directory, with whiteouts turned into overlayfs's form
// (character device 0:0, trusted.overlay.opaque=y) by containerd's
// archive.Apply, which resolves every path inside the layer root. The
// uncompressed stream must hash to the diff ID the config names; only then
// is the directory renamed into place. Concurrent unpackers of one layer
// race on the rename; the loser drops its copy.
func (s *Store) unpackLayer(ctx context.Context, l Layer) error {
	if l.DiffID.Algorithm != "sha256" {
		return fmt.Errorf("layer %s: %w diff_id algorithm %q", l.Digest, ErrUnsupported, l.DiffID.Algorithm)
	}
	if s.hasLayer(l.DiffID) {
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "layer-")
	if err != nil {
		return fmt.Errorf("unpack layer %s: %w", l.Digest, err)
	}
	defer os.RemoveAll(tmp) // nothing left once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("unpack layer %s: %w", l.Digest, err)
	}
	f, err := os.Open(s.blobPath(l.Digest))
	if err != nil {
		return fmt.Errorf("unpack layer %s: %w", l.Digest, err)
	}
	defer f.Close()
	if err := applyLayer(ctx, tmp, f, l); err != nil {
		return err
	}
	dst := s.layerDir(l.DiffID)
	if err := os.Rename(tmp, dst); err != nil {
		if s.hasLayer(l.DiffID) { // another process won the race
			return nil
		}
		return fmt.Errorf("unpack layer %s: %w", l.Digest, err)
	}
	return nil
}

// applyLayer decompresses r as l's media type says, applies the tar to
// dir and checks the uncompressed bytes against l.DiffID.
func applyLayer(ctx context.Context, dir string, r io.Reader, l Layer) error {
	tarStream, closeFn, err := decompress(r, l.MediaType)
	if err != nil {
		return fmt.Errorf("unpack layer %s: %w", l.Digest, err)
	}
	defer closeFn()
	h := sha256.New()
	tee := io.TeeReader(tarStream, h)
	if _, err := archive.Apply(ctx, dir, tee,
		archive.WithConvertWhiteout(archive.OverlayConvertWhiteout),
		archive.WithFilter(safeEntry)); err != nil {
		return fmt.Errorf("unpack layer %s: %w", l.Digest, err)
	}
	// The tar reader stops at the end-of-archive marker; the diff ID
	// covers the whole stream, padding included.
	if _, err := io.Copy(h, tarStream); err != nil {
		return fmt.Errorf("unpack layer %s: %w", l.Digest, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != l.DiffID.Hex {
		return &MismatchError{What: "diff", Digest: l.DiffID.String(), GotDigest: "sha256:" + got}
	}
	return nil
}

func decompress(r io.Reader, mt types.MediaType) (io.Reader, func(), error) {
	switch mt {
	case types.OCILayer, types.DockerLayer, types.OCIRestrictedLayer, types.DockerForeignLayer:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case types.OCILayerZStd:
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return zr, zr.Close, nil
	case types.OCIUncompressedLayer, types.DockerUncompressedLayer, types.OCIUncompressedRestrictedLayer:
		return r, func() {}, nil
	}
	return nil, nil, fmt.Errorf("%w layer media type %q", ErrUnsupported, mt)
}

// safeEntry refuses tar entries that name a path above the layer root,
// and hard links whose target does. (archive.Apply would clamp them to the
// root; cgrun refuses the layer instead: such a layer is hostile or broken.)
// Absolute symlink targets are fine: they are resolved inside the root.
func safeEntry(hdr *tar.Header) (bool, error) {
	if escapes(hdr.Name) {
		return false, fmt.Errorf("%w: entry %q leaves the layer root", ErrUnsafePath, hdr.Name)
	}
	if hdr.Typeflag == tar.TypeLink && escapes(hdr.Linkname) {
		return false, fmt.Errorf("%w: hard link %q -> %q leaves the layer root", ErrUnsafePath, hdr.Name, hdr.Linkname)
	}
	return true, nil
}

func escapes(p string) bool {
	for _, e := range strings.Split(filepath.ToSlash(p), "/") {
		if e == ".." {
			return true
		}
	}
	return false
}
