package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestUnpackRejectsPathEscapes(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name    string
		entries []entry
	}{
		{name: "dot-dot entry", entries: []entry{file("../escaped", "x")}},
		{name: "dot-dot inside", entries: []entry{dir("a/"), file("a/../../escaped", "x")}},
		{name: "hard link above root", entries: []entry{{name: "l", typ: tar.TypeLink, link: "../../etc/passwd"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openStore(t)
			lay := t.TempDir()
			writeLayout(t, lay, imageOf(t, v1.Config{}, layerOf(t, tarOf(t, c.entries...), compression.GZip)), "latest")
			_, err := s.Resolve(context.Background(), "oci:"+lay+":latest", nil)
			if !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("pull: %v; want ErrUnsafePath", err)
			}
			if _, err := os.Lstat(filepath.Join(s.Root(), "escaped")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("file written outside the layer: %v", err)
			}
			assertStoreEmpty(t, s)
		})
	}
}

// A symlink to an absolute host path, then a file through it: the file
// lands inside the layer (the link resolves in the layer root), never on
// the host.
func TestUnpackSymlinkStaysInsideRoot(t *testing.T) {
	requireRoot(t)
	host := t.TempDir()
	s := openStore(t)
	lay := t.TempDir()
	img := imageOf(t, v1.Config{}, layerOf(t, tarOf(t,
		symlink("evil", host), file("evil/pwned", "x"),
		symlink("up", "../../../../../.."), file("up/pwned2", "y"),
	), compression.GZip))
	writeLayout(t, lay, img, "latest")
	got, err := s.Resolve(context.Background(), "oci:"+lay+":latest", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(host, "pwned")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("layer wrote through an absolute symlink onto the host: %v", err)
	}
	root := s.layerDir(got.Layers[0].DiffID)
	if b, err := os.ReadFile(filepath.Join(root, host, "pwned")); err != nil || string(b) != "x" {
		t.Fatalf("file through the symlink: %q, %v; want it inside the layer", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "pwned2")); err != nil || string(b) != "y" {
		t.Fatalf("file through a relative symlink above the root: %q, %v; want it at the layer root", b, err)
	}
}

func TestArchiveRejectsUnsafeEntries(t *testing.T) {
	t.Parallel()
	cases := map[string][]entry{
		"dot-dot": {file("../x", "x")},
		"symlink": {symlink("blobs", "/etc")},
	}
	for name, es := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := extractLayoutTar(bytes.NewReader(tarOf(t, es...)), t.TempDir())
			if !errors.Is(err, ErrUnsafePath) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("extract: %v; want a refusal", err)
			}
		})
	}
}

func TestRemoveRefusesMountedImageAndCollects(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	lay := t.TempDir()
	writeLayout(t, lay, whiteoutImage(t), "latest")
	img, err := s.Resolve(context.Background(), "oci:"+lay+":latest", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two mounts share the layers and keep separate upper layers.
	var roots []string
	for _, id := range []string{"a", "b"} {
		m, err := s.Mount(context.Background(), img, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Unmount(id) })
		if err := os.WriteFile(filepath.Join(m.Rootfs, "own"), []byte(id), 0o644); err != nil {
			t.Fatal(err)
		}
		roots = append(roots, m.Rootfs)
	}
	for i, id := range []string{"a", "b"} {
		if b, err := os.ReadFile(filepath.Join(roots[i], "own")); err != nil || string(b) != id {
			t.Fatalf("container %s reads %q, %v from its own layer", id, b, err)
		}
	}
	_, err = s.Remove(img.Name)
	var iu *InUseError
	if !errors.As(err, &iu) || len(iu.Containers) != 2 {
		t.Fatalf("Remove of a mounted image: %v; want InUseError naming a and b", err)
	}
	for _, id := range []string{"a", "b"} {
		if err := s.Unmount(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Remove(img.Name); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"blobs/sha256", "layers/sha256", "mounts", "tmp"} {
		if ents, _ := os.ReadDir(filepath.Join(s.Root(), d)); len(ents) != 0 {
			t.Fatalf("%s after Remove: %d entries", d, len(ents))
		}
	}
	if _, err := s.Lookup(img.Name); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Lookup after Remove: %v", err)
	}
}
