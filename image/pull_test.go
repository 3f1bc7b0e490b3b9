package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"golang.org/x/sys/unix"
)

// whiteoutImage has a gzip layer and a zstd layer that deletes a file and
// makes a directory opaque.
func whiteoutImage(t testing.TB) v1.Image {
	base := layerOf(t, tarOf(t, dir("a/"), file("a/x", "x"), file("a/y", "y"), file("keep", "k"), file("gone", "g")), compression.GZip)
	top := layerOf(t, tarOf(t, file(".wh.gone", ""), dir("a/"), file("a/.wh..wh..opq", ""), file("a/z", "z")), compression.ZStd)
	return imageOf(t, v1.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}, WorkingDir: "/a", User: "65534"}, base, top)
}

func TestPullLayoutUnpacksWhiteoutsForOverlay(t *testing.T) {
	requireRoot(t) // whiteouts are character devices: mknod
	s := openStore(t)
	lay := t.TempDir()
	writeLayout(t, lay, whiteoutImage(t), "latest")

	img, err := s.Resolve(context.Background(), "oci:"+lay+":latest", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Layers) != 2 || img.Layers[0].MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" ||
		img.Layers[1].MediaType != "application/vnd.oci.image.layer.v1.tar+zstd" {
		t.Fatalf("layers = %+v", img.Layers)
	}
	want := Process{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}, WorkingDir: "/a", User: "65534"}
	if !slices.Equal(img.Process.Env, want.Env) || !slices.Equal(img.Process.Cmd, want.Cmd) ||
		img.Process.WorkingDir != want.WorkingDir || img.Process.User != want.User {
		t.Fatalf("process = %+v, want %+v", img.Process, want)
	}
	top := s.layerDir(img.Layers[1].DiffID)
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(top, "gone"), &st); err != nil {
		t.Fatalf("whiteout of gone: %v", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Fatalf("whiteout of gone: mode %o rdev %d, want a 0:0 character device", st.Mode, st.Rdev)
	}
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(filepath.Join(top, "a"), "trusted.overlay.opaque", buf)
	if err != nil || string(buf[:n]) != "y" {
		t.Fatalf("a: trusted.overlay.opaque = %q, %v; want y", buf[:n], err)
	}
	for _, p := range []string{".wh.gone", "a/.wh..wh..opq"} {
		if _, err := os.Lstat(filepath.Join(top, p)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s written as a file: %v", p, err)
		}
	}

	// The overlay shows the merged view.
	m, err := s.Mount(context.Background(), img, "c1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Unmount("c1") })
	for p, want := range map[string]bool{"keep": true, "a/z": true, "gone": false, "a/x": false, "a/y": false} {
		_, err := os.Lstat(filepath.Join(m.Rootfs, p))
		if got := err == nil; got != want {
			t.Errorf("%s present = %v, want %v (%v)", p, got, want, err)
		}
	}
	if err := s.Unmount("c1"); err != nil {
		t.Fatal(err)
	}
	if mounted(t, m.Rootfs) {
		t.Fatalf("%s still mounted after Unmount", m.Rootfs)
	}
	if _, err := os.Stat(s.mountDir("c1")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("mount dir left after Unmount: %v", err)
	}
}

// tamper flips a byte of a blob of a layout (or truncates it).
func tamper(t *testing.T, p layout.Path, h v1.Hash, truncate bool) {
	t.Helper()
	path := filepath.Join(string(p), "blobs", h.Algorithm, h.Hex)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if truncate {
		b = b[:len(b)-1]
	} else {
		b[len(b)/2] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPullRefusesTamperedBlobs(t *testing.T) {
	requireRoot(t)
	img := imageOf(t, v1.Config{}, layerOf(t, tarOf(t, file("f", "some content")), compression.GZip))
	digests := map[string]func() (v1.Hash, error){
		"manifest": img.Digest,
		"config":   img.ConfigName,
		"layer": func() (v1.Hash, error) {
			ls, err := img.Layers()
			if err != nil {
				return v1.Hash{}, err
			}
			return ls[0].Digest()
		},
	}
	for what, digest := range digests {
		for _, truncate := range []bool{false, true} {
			t.Run(what+map[bool]string{false: "-flipped", true: "-truncated"}[truncate], func(t *testing.T) {
				s := openStore(t)
				lay := t.TempDir()
				p := writeLayout(t, lay, img, "latest")
				h, err := digest()
				if err != nil {
					t.Fatal(err)
				}
				tamper(t, p, h, truncate)
				_, err = s.Resolve(context.Background(), "oci:"+lay+":latest", nil)
				var me *MismatchError
				if !errors.Is(err, ErrDigestMismatch) || !errors.As(err, &me) || me.Digest != h.String() {
					t.Fatalf("pull of a tampered %s: %v; want a digest mismatch naming %s", what, err, h)
				}
				assertStoreEmpty(t, s)
			})
		}
	}
}

func TestPullRefusesWrongDiffID(t *testing.T) {
	requireRoot(t)
	img := imageOf(t, v1.Config{}, layerOf(t, tarOf(t, file("f", "x")), compression.GZip))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs[0] = v1.Hash{Algorithm: "sha256", Hex: sixtyFour}
	img = withConfigFile(t, img, cf)
	s := openStore(t)
	lay := t.TempDir()
	writeLayout(t, lay, img, "latest")
	_, err = s.Resolve(context.Background(), "oci:"+lay, nil)
	var me *MismatchError
	if !errors.As(err, &me) || me.What != "diff" {
		t.Fatalf("pull with a wrong diff_id: %v; want a diff mismatch", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "layers", "sha256")); len(ents) != 0 {
		t.Fatalf("layers left: %v", ents)
	}
}

// assertStoreEmpty checks that no record, blob, unpacked layer or partial
// write stays: a failed pull collects what it stored.
func assertStoreEmpty(t *testing.T, s *Store) {
	t.Helper()
	imgs, err := s.List()
	if err != nil || len(imgs) != 0 {
		t.Fatalf("images after a failed pull: %v, %v", imgs, err)
	}
	for _, d := range []string{"blobs/sha256", "layers/sha256", "tmp", "mounts"} {
		ents, err := os.ReadDir(filepath.Join(s.Root(), d))
		if err != nil || len(ents) != 0 {
			t.Fatalf("%s after a failed pull: %v, %v", d, ents, err)
		}
	}
}

func TestConcurrentPullsUnpackOnce(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	lay := t.TempDir()
	writeLayout(t, lay, whiteoutImage(t), "latest")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A store of its own per goroutine, as separate cgrun processes have.
			s2, err := Open(s.Root())
			if err == nil {
				_, err = s2.Resolve(context.Background(), "oci:"+lay+":latest", nil)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(s.Root(), "layers", "sha256"))
	tmp, _ := os.ReadDir(filepath.Join(s.Root(), "tmp"))
	if len(ents) != 2 || len(tmp) != 0 {
		t.Fatalf("layers %d (want 2), tmp entries %d (want 0)", len(ents), len(tmp))
	}
}
