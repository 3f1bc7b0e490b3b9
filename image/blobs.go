package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// blobPath is where a verified blob lives in the store.
func (s *Store) blobPath(h v1.Hash) string {
	return filepath.Join(s.root, "blobs", h.Algorithm, h.Hex)
}

func (s *Store) hasBlob(desc v1.Descriptor) bool {
	fi, err := os.Stat(s.blobPath(desc.Digest))
	return err == nil && fi.Mode().IsRegular() && fi.Size() == desc.Size
}

// putBlob copies r into the store as the blob desc describes: written to a
// temporary file, checked against desc's size and digest, then renamed into
// place. A mismatch leaves nothing behind.
func (s *Store) putBlob(desc v1.Descriptor, what string, r io.Reader) error {
	if desc.Digest.Algorithm != "sha256" {
		return fmt.Errorf("%s %s: %w digest algorithm %q", what, desc.Digest, ErrUnsupported, desc.Digest.Algorithm)
	}
	if s.hasBlob(desc) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "blob-")
	if err != nil {
		return fmt.Errorf("store %s %s: %w", what, desc.Digest, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	err = copyVerified(tmp, r, desc, what)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("store %s %s: %w", what, desc.Digest, cerr)
	}
	if err != nil {
		return err
	}
	dst := s.blobPath(desc.Digest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("store %s %s: %w", what, desc.Digest, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("store %s %s: %w", what, desc.Digest, err)
	}
	return nil
}

// copyVerified copies at most desc.Size+1 bytes of r to w and checks the
// size and sha256 digest.
func copyVerified(w io.Writer, r io.Reader, desc v1.Descriptor, what string) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, desc.Size+1))
	if err != nil {
		return fmt.Errorf("read %s %s: %w", what, desc.Digest, err)
	}
	if n != desc.Size {
		return &MismatchError{What: what, Digest: desc.Digest.String(), WantSize: desc.Size, GotSize: n, SizeMismatch: true}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != desc.Digest.Hex {
		return &MismatchError{What: what, Digest: desc.Digest.String(), GotDigest: "sha256:" + got}
	}
	return nil
}

// readBlob reads a verified blob of the store (small ones: manifests,
// configs) and checks it again, so a blob altered on disk is not trusted.
func (s *Store) readBlob(desc v1.Descriptor, what string) ([]byte, error) {
	b, err := os.ReadFile(s.blobPath(desc.Digest))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s %s: %w in store", what, desc.Digest, ErrNotFound)
		}
		return nil, fmt.Errorf("read %s %s: %w", what, desc.Digest, err)
	}
	if err := verifyBytes(b, desc, what); err != nil {
		return nil, err
	}
	return b, nil
}

func verifyBytes(b []byte, desc v1.Descriptor, what string) error {
	if int64(len(b)) != desc.Size {
		return &MismatchError{What: what, Digest: desc.Digest.String(), WantSize: desc.Size, GotSize: int64(len(b)), SizeMismatch: true}
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != desc.Digest.Hex {
		return &MismatchError{What: what, Digest: desc.Digest.String(), GotDigest: "sha256:" + got}
	}
	return nil
}
