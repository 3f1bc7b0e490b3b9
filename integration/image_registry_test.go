package integration

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cgrun/cgrun/integration/testutil"
)

func sleepShort() { time.Sleep(50 * time.Millisecond) }

// testImage reads the test image from its OCI layout.
func testImage(t *testing.T) v1.Image {
	t.Helper()
	p, err := layout.FromPath(testutil.TestImageOCIDir(t))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("test image index: %v, %v", im, err)
	}
	img, err := p.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// serveRegistry serves go-containerregistry's registry on 127.0.0.1,
// through wrap when given, and returns its host:port.
func serveRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := registry.New()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func push(t *testing.T, img v1.Image, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func TestImagePullFromRegistryAndRun(t *testing.T) {
	e := newImageEnv(t)
	host := serveRegistry(t, nil)
	push(t, testImage(t), host+"/cgrun/test:v1")
	// Plain HTTP needs --tls-verify=false, as Podman's pull does.
	_, stderr, code := e.cgrun("pull", "docker://"+host+"/cgrun/test:v1")
	if code != 125 || !strings.Contains(stderr, "plain HTTP refused") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("pull over plain HTTP without --tls-verify=false: exit %d, stderr %q", code, stderr)
	}
	out := e.must("pull", "--tls-verify=false", "docker://"+host+"/cgrun/test:v1")
	want, _ := testImage(t).Digest()
	if !strings.Contains(out, want.String()) {
		t.Fatalf("pull printed %q, want the digest %s", out, want)
	}
	var imgs []struct {
		Name   string `json:"name"`
		Digest string `json:"digest"`
	}
	if err := json.Unmarshal([]byte(e.must("images", "--format", "json")), &imgs); err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Name != host+"/cgrun/test:v1" || imgs[0].Digest != want.String() {
		t.Fatalf("images: %+v", imgs)
	}
	// A store name runs without the registry.
	out = e.must("run", "--rm", host+"/cgrun/test:v1", "stress", "--version")
	if !strings.HasPrefix(out, "stress 1.") {
		t.Fatalf("stress --version printed %q", out)
	}
	e.assertReleased()
}

// A registry that flips one byte of the layer blob it serves: the pull is
// refused and nothing of it stays in the store.
func TestImagePullTamperedLayerRefused(t *testing.T) {
	e := newImageEnv(t)
	img := testImage(t)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	host := serveRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+layer.String()) {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			b[len(b)/2] ^= 0xff
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(b)
		})
	})
	push(t, img, host+"/cgrun/test:v1")
	_, stderr, code := e.cgrun("pull", "--tls-verify=false", "docker://"+host+"/cgrun/test:v1")
	if code != 125 || !strings.Contains(stderr, layer.Hex) {
		t.Fatalf("pull of a tampered layer: exit %d, stderr %q; want 125 naming %s", code, stderr, layer)
	}
	if out := e.must("images", "--format", "json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("images after a refused pull: %s", out)
	}
	for _, d := range []string{"layers/sha256", "tmp", "mounts"} {
		if left := entries(t, filepath.Join(e.store, d)); len(left) != 0 {
			t.Fatalf("%s after a refused pull: %v", d, left)
		}
	}
	for _, b := range entries(t, filepath.Join(e.store, "blobs", "sha256")) {
		if b == layer.Hex {
			t.Fatal("the tampered layer blob was stored")
		}
	}
}

// Images written by Debian's skopeo run under cgrun: a copy recompressed
// to zstd in an OCI layout, an oci-archive, and a Docker v2 schema 2 push
// to a registry.
func TestImageSkopeoInterop(t *testing.T) {
	e := newImageEnv(t)
	skopeo := testutil.RequireCommand(t, "skopeo", "skopeo")
	src := "oci:" + testutil.TestImageOCIDir(t) + ":latest"
	dir := t.TempDir()
	host := serveRegistry(t, nil)
	copies := []struct {
		name string
		args []string
		ref  string
	}{
		{name: "oci zstd", args: []string{"--dest-compress-format", "zstd", src, "oci:" + dir + "/zstd:copied"}, ref: "oci:" + dir + "/zstd:copied"},
		{name: "oci-archive", args: []string{src, "oci-archive:" + dir + "/img.tar:archived"}, ref: "oci-archive:" + dir + "/img.tar:archived"},
		{name: "docker v2s2", args: []string{"--format", "v2s2", "--dest-tls-verify=false", src, "docker://" + host + "/skopeo/test:v2s2"}, ref: "docker://" + host + "/skopeo/test:v2s2"},
	}
	for _, c := range copies {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(skopeo, append([]string{"copy", "-q"}, c.args...)...)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("skopeo copy %q: %v: %s", c.args, err, errb.String())
			}
			args := []string{"run", "--rm"}
			if strings.HasPrefix(c.ref, "docker://") {
				args = append(args, "--tls-verify=false") // a plain HTTP registry
			}
			out := e.must(append(args, c.ref, "stress", "--version")...)
			if !strings.HasPrefix(out, "stress 1.") {
				t.Fatalf("stress --version printed %q", out)
			}
			e.assertReleased()
		})
	}
	// The zstd copy was unpacked from its own layer blob: same diff ID,
	// so the store holds the layer once whatever its compression.
	if l := entries(t, filepath.Join(e.store, "layers", "sha256")); len(l) != 1 {
		t.Fatalf("unpacked layers: %v, want one (one diff ID)", l)
	}
}
