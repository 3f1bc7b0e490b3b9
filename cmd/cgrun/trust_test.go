//go:build !cgrun_registry_helper

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/image/trust"
)

// The help of a cgrun built without package image/trust names the same
// defaults.
func TestTrustNames(t *testing.T) {
	if authFileEnv != trust.AuthFileEnv || defaultPolicyPath != trust.DefaultPolicyPath {
		t.Fatalf("authFileEnv %q, defaultPolicyPath %q; image/trust has %q, %q", authFileEnv, defaultPolicyPath, trust.AuthFileEnv, trust.DefaultPolicyPath)
	}
}

// TestHelperBuildLinksNoRegistryCode: built with cgrun_registry_helper (as
// bin/cgrun is), the command links none of the registry and signature
// code, no registry client (go-containerregistry's remote, net/http,
// TLS) and no gRPC (cgrun csi); that is the point of the tag.
func TestHelperBuildLinksNoRegistryCode(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	tags := "seccomp,containers_image_openpgp,cgrun_registry_helper"
	cmd := exec.Command(goBin, "list", "-tags", tags, "-deps", ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go.podman.io/image/", "github.com/cgrun/cgrun/image/trust", "github.com/docker/distribution", "github.com/sigstore/", "github.com/BurntSushi/toml",
			"google.golang.org/grpc", "github.com/container-storage-interface/", "github.com/cgrun/cgrun/csidriver",
			"github.com/google/go-containerregistry/pkg/v1/remote", "net/http", "crypto/tls", "crypto/x509"} {
			if dep == banned || strings.HasPrefix(dep, strings.TrimSuffix(banned, "/")+"/") {
				t.Errorf("the helper build links %s", dep)
			}
		}
	}
}
