package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// newArchiveSource unpacks an oci-archive (a tar of an image layout) into
// a temporary directory of the store and reads it as a layout. Only
// directories and regular files with local names are taken: a layout has
// nothing else, and with no links nothing can point outside the directory.
func (s *Store) newArchiveSource(file, tag, label string) (*layoutSource, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotFound, label, err)
	}
	defer f.Close()
	dir, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "archive-")
	if err != nil {
		return nil, fmt.Errorf("unpack %s: %w", label, err)
	}
	if err := extractLayoutTar(f, dir); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("unpack %s: %w", label, err)
	}
	src, err := newLayoutSource(dir, tag, label)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	src.done = func() error { return os.RemoveAll(dir) }
	return src, nil
}

func extractLayoutTar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(hdr.Name)
		if name == "." {
			continue
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("%w: archive entry %q", ErrUnsafePath, hdr.Name)
		}
		dst := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return err
			}
			if err := writeNew(dst, tr); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: archive entry %q of type %q (a layout holds only files and directories)", ErrUnsupported, hdr.Name, hdr.Typeflag)
		}
	}
}

func writeNew(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
