package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// TestRegistryHelper (host lane): cgrun's binary links no registry or
// signature code (containers/image, docker/distribution, sigstore: half of
// every cgrun process's start); cgrun-registry beside it does, and runs
// what reaches registries. Without a fit helper beside cgrun, pull, login
// and the copy of an image by run are refused in one line naming it,
// with nothing left in the store; images already in the store still run.
func TestRegistryHelper(t *testing.T) {
	skipInVM(t)
	c := testutil.NewCgrun(t)
	helper := filepath.Join(filepath.Dir(c.Bin), "cgrun-registry")
	_, err := os.Stat(helper)
	testutil.Require(t, err == nil, "no cgrun-registry beside "+c.Bin, "make build")
	modules := func(bin string) string {
		t.Helper()
		out, err := exec.Command(testutil.GoTool(), "version", "-m", bin).Output()
		if err != nil {
			t.Fatalf("go version -m %s: %v", bin, err)
		}
		return string(out)
	}
	for _, mod := range []string{"go.podman.io/image/v5", "github.com/docker/distribution", "github.com/sigstore/sigstore"} {
		if strings.Contains(modules(c.Bin), "\t"+mod+"\t") {
			t.Errorf("cgrun links %s", mod)
		}
		if !strings.Contains(modules(helper), "\t"+mod+"\t") {
			t.Errorf("cgrun-registry does not link %s", mod)
		}
	}

	store := t.TempDir()
	layout := "oci:" + filepath.Join(testutil.RepoRoot(t), "build", "testimage", "oci") + ":latest"
	if r := c.Cmd("--image-store", store, "pull", layout); r.Code != 0 {
		t.Fatalf("pull through cgrun-registry: %s", r)
	}
	if r := c.Cmd("--image-store", store, "image", "import", layout, "helpertest:v1"); r.Code != 0 || !strings.HasPrefix(r.Stdout, "helpertest:v1 sha256:") {
		t.Fatalf("image import with a name through cgrun-registry: %s", r)
	}

	// cgrun alone, and beside a helper others may write
	alone := t.TempDir()
	b, err := os.ReadFile(c.Bin)
	if err != nil {
		t.Fatal(err)
	}
	lone := filepath.Join(alone, "cgrun")
	if err := os.WriteFile(lone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	lc := *c
	lc.Bin = lone
	emptyStore := t.TempDir()
	refused := func(why string, args ...string) {
		t.Helper()
		r := lc.Cmd(args...)
		if r.Code != 125 || strings.Count(r.Stderr, "\n") != 0 || !strings.Contains(r.Stderr, "cgrun-registry") || !strings.Contains(r.Stderr, why) {
			t.Errorf("%v without a fit cgrun-registry: %s, want exit 125 and one line naming it (%s)", args, r, why)
		}
		if r := c.Cmd("--image-store", emptyStore, "images", "--format", "json"); r.Stdout != "[]" {
			t.Errorf("%v left images in the store: %s", args, r)
		}
	}
	for _, why := range []string{"not beside cgrun", "only its owner"} {
		if why == "only its owner" {
			if err := os.WriteFile(filepath.Join(alone, "cgrun-registry"), []byte("#!/bin/sh\nexit 0\n"), 0o775); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(alone, "cgrun-registry"), 0o775); err != nil {
				t.Fatal(err)
			}
		}
		refused(why, "--image-store", emptyStore, "pull", layout)
		refused(why, "--image-store", emptyStore, "run", "--rm", "--network", "none", layout, "true")
		refused(why, "login", "--username", "u", "--password-stdin", "127.0.0.1:1")
	}
	// cgrun check says which
	regOf := func(bin string) (reg struct {
		Binary, Reason string
		Usable         bool
	}) {
		t.Helper()
		cc := *c
		cc.Bin = bin
		r := cc.Cmd("check", "--format", "json")
		var rep struct {
			Registry struct {
				Binary, Reason string
				Usable         bool
			} `json:"registry"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
			t.Fatalf("cgrun check --format json: %v: %s", err, r)
		}
		return rep.Registry
	}
	if reg := regOf(c.Bin); !reg.Usable || reg.Binary != helper {
		t.Errorf("cgrun check beside cgrun-registry: %+v", reg)
	}
	if reg := regOf(lone); reg.Usable || !strings.Contains(reg.Reason, "only its owner") {
		t.Errorf("cgrun check beside a helper its group may write: %+v", reg)
	}
	// what the store holds runs without the helper
	if r := lc.Cmd("--image-store", store, "run", "--rm", "--network", "none", "--cgroup-parent", c.Parent, "helpertest:v1", "stress", "--version"); r.Code != 0 || !strings.Contains(r.Stdout, "stress 1.") {
		t.Errorf("a stored image without the helper: %s", r)
	}
}
