package image

import (
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Progress hears about each blob a pull or import copies into the store.
type Progress interface {
	// BlobStart: a blob is about to be copied; present when the store
	// already holds it and nothing is copied.
	BlobStart(what string, desc v1.Descriptor, present bool)
	// BlobBytes: n more bytes of desc arrived.
	BlobBytes(desc v1.Descriptor, n int64)
	// BlobDone: the blob is verified and stored, or err says why not.
	BlobDone(desc v1.Descriptor, err error)
}

type noProgress struct{}

func (noProgress) BlobStart(string, v1.Descriptor, bool) {}
func (noProgress) BlobBytes(v1.Descriptor, int64)        {}
func (noProgress) BlobDone(v1.Descriptor, error)         {}

// countingReader reports the bytes read through it.
type countingReader struct {
	r    io.Reader
	desc v1.Descriptor
	p    Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.p.BlobBytes(c.desc, int64(n))
	}
	return n, err
}
