package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sys/unix"
)

// DefaultRoot is where the store lives unless told otherwise.
const DefaultRoot = "/var/lib/cgrun"

// Store holds verified blobs, unpacked layers, image records and
// container mounts under one root directory.
type Store struct {
	root     string
	platform v1.Platform
	remote   remoteOptions
	verifier Verifier
	insecure func(registry string) bool
	external Copier
}

// Option configures a Store.
type Option func(*Store)

// WithPlatform picks manifests for p from indexes instead of this host's.
func WithPlatform(p v1.Platform) Option { return func(s *Store) { s.platform = p } }

// HostPlatform is the platform images are chosen for by default.
func HostPlatform() v1.Platform {
	return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// Open opens (creating) the store at root.
func Open(root string, opts ...Option) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("image store %q: %w", root, err)
	}
	s := &Store{root: abs, platform: HostPlatform()}
	for _, o := range opts {
		o(s)
	}
	for _, d := range []string{"", "blobs/sha256", "layers/sha256", "mounts", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o700); err != nil {
			return nil, fmt.Errorf("image store: %w", err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(abs, "tmp")); len(ents) > 0 {
		s.sweep() // an interrupted write: the rest of it goes too
	}
	return s, nil
}

// sweep deletes what interrupted or failed writes left (a pull killed
// mid-unpack, or refused by a full disk: its tmp/ files and the blobs and
// layers no recorded image names), when no pull, mount or rmi runs: every
// write happens under gc.lock, so with it held exclusive nothing
// unrecorded is in use. A failed pull sweeps at once; Open sweeps only
// when tmp/ holds something (every command opens the store).
func (s *Store) sweep() {
	l, err := s.lock(gcLock, unix.LOCK_EX|unix.LOCK_NB)
	if err != nil {
		return // in use: the next open sweeps
	}
	defer l.Unlock()
	_ = s.collect()
}

// Root is the store's directory.
func (s *Store) Root() string { return s.root }

// Image is an image recorded in the store.
type Image struct {
	Name     string      `json:"name"`
	Source   string      `json:"source"`
	Digest   v1.Hash     `json:"digest"` // of the manifest
	Config   v1.Hash     `json:"config"`
	Platform v1.Platform `json:"platform"`
	Layers   []Layer     `json:"layers"`
	// Blobs are every blob the image needs kept: indexes, manifest,
	// config, layers.
	Blobs   []v1.Hash `json:"blobs"`
	Size    int64     `json:"size"` // sum of the compressed layers
	Created time.Time `json:"created,omitzero"`
	Stored  time.Time `json:"stored"`
	Process Process   `json:"process"`
	// Verification is what accepted the image when it was copied in
	// (nil: no verifier was asked).
	Verification *Verification `json:"verification,omitempty"`
}

// ID is the short form of the manifest digest, as `cgrun images` shows it.
func (i *Image) ID() string { return i.Digest.Hex[:12] }

// Layer is one layer of an image: its blob and its unpacked directory.
type Layer struct {
	Digest    v1.Hash         `json:"digest"`
	DiffID    v1.Hash         `json:"diffID"`
	Size      int64           `json:"size"`
	MediaType types.MediaType `json:"mediaType"`
}

type records map[string]*Image

func (s *Store) recordsPath() string { return filepath.Join(s.root, "images.json") }

func (s *Store) readRecords() (records, error) {
	b, err := os.ReadFile(s.recordsPath())
	if errors.Is(err, os.ErrNotExist) {
		return records{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read image records: %w", err)
	}
	r := records{}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("parse %s: %w", s.recordsPath(), err)
	}
	return r, nil
}

// writeRecords replaces images.json atomically; callers hold metaLock.
func (s *Store) writeRecords(r records) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode image records: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "images-")
	if err != nil {
		return fmt.Errorf("write image records: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.recordsPath())
	}
	if err != nil {
		return fmt.Errorf("write image records: %w", err)
	}
	return nil
}

// updateRecords runs f on the records under metaLock and writes them back.
func (s *Store) updateRecords(f func(records) error) error {
	l, err := s.lock(metaLock, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer l.Unlock()
	r, err := s.readRecords()
	if err != nil {
		return err
	}
	if err := f(r); err != nil {
		return err
	}
	return s.writeRecords(r)
}

// List returns the images of the store, sorted by name.
func (s *Store) List() ([]*Image, error) {
	r, err := s.readRecords()
	if err != nil {
		return nil, err
	}
	out := make([]*Image, 0, len(r))
	for _, img := range r {
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Lookup finds an image by its name, its registry name normalised
// (busybox -> index.docker.io/library/busybox:latest), its digest or a
// unique prefix of its ID.
func (s *Store) Lookup(ref string) (*Image, error) {
	r, err := s.readRecords()
	if err != nil {
		return nil, err
	}
	return lookup(r, ref)
}

func lookup(r records, ref string) (*Image, error) {
	if img, ok := r[ref]; ok {
		return img, nil
	}
	if n, err := name.ParseReference(ref); err == nil {
		if img, ok := r[n.Name()]; ok {
			return img, nil
		}
	}
	id := strings.TrimPrefix(ref, "sha256:")
	if len(id) >= 4 && strings.Trim(id, "0123456789abcdef") == "" {
		var found *Image
		for _, img := range r {
			if strings.HasPrefix(img.Digest.Hex, id) {
				if found != nil && found.Digest != img.Digest {
					return nil, fmt.Errorf("%w: %q matches more than one image", ErrBadReference, ref)
				}
				found = img
			}
		}
		if found != nil {
			return found, nil
		}
	}
	return nil, fmt.Errorf("%w: %q is not in the store (pull it: cgrun pull docker://NAME, or import it: cgrun image import oci:DIR)", ErrNotFound, ref)
}
