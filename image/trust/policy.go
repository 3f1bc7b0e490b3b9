package trust

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.podman.io/image/v5/docker"
	cimage "go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/oci/archive"
	"go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"

	"github.com/cgrun/cgrun/image"
)

// ErrRefused is wrapped by the error of an image the policy refuses.
var ErrRefused = errors.New("refused by policy")

// policyFile finds the policy o names, or the system's; "" with no error
// when the host has none.
func (o Options) policyFile() (string, error) {
	if o.PolicyPath != "" {
		if _, err := os.Stat(o.PolicyPath); err != nil {
			return "", fmt.Errorf("signature policy: %w", err)
		}
		return o.PolicyPath, nil
	}
	var cands []string
	if p := os.Getenv("CONTAINERS_POLICY_JSON"); p != "" {
		cands = append(cands, p)
	}
	if d, err := os.UserConfigDir(); err == nil {
		cands = append(cands, filepath.Join(d, "containers", "policy.json"))
	}
	cands = append(cands, DefaultPolicyPath, "/usr/share/containers/policy.json")
	for _, p := range cands {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", nil
}

// CheckPolicy reads and parses the policy file at path.
func CheckPolicy(path string) error {
	_, err := signature.NewPolicyFromFile(path)
	return err
}

// rawPolicy is a policy as written, read for its scopes and to describe
// its requirements; the signature package parses and enforces it.
type rawPolicy struct {
	Default    []rawRequirement                       `json:"default"`
	Transports map[string]map[string][]rawRequirement `json:"transports"`
}

type rawRequirement struct {
	Type     string   `json:"type"`
	KeyType  string   `json:"keyType"`
	KeyPath  string   `json:"keyPath"`
	KeyPaths []string `json:"keyPaths"`
	KeyData  string   `json:"keyData"`
	Fulcio   any      `json:"fulcio"`
	PKI      any      `json:"pki"`
}

func (r rawRequirement) String() string {
	keys := r.KeyPath
	switch {
	case len(r.KeyPaths) > 0:
		keys = strings.Join(r.KeyPaths, ",")
	case r.KeyData != "":
		keys = "inline key"
	case r.Fulcio != nil:
		keys = "fulcio"
	case r.PKI != nil:
		keys = "pki"
	}
	switch r.Type {
	case "signedBy":
		return strings.TrimSpace(fmt.Sprintf("signedBy %s %s", r.KeyType, keys))
	case "sigstoreSigned":
		return strings.TrimSpace("sigstoreSigned " + keys)
	}
	return r.Type
}

// scope picks the requirements for ref as the signature package does:
// the transport's exact identity, then its namespaces, then the
// transport's default, then the policy's default.
func (p rawPolicy) scope(ref types.ImageReference) (string, []rawRequirement) {
	tn := ref.Transport().Name()
	if scopes, ok := p.Transports[tn]; ok {
		for _, s := range append([]string{ref.PolicyConfigurationIdentity()}, ref.PolicyConfigurationNamespaces()...) {
			if r, ok := scopes[s]; ok {
				return tn + ":" + s, r
			}
		}
		if r, ok := scopes[""]; ok {
			return tn, r
		}
	}
	return "", p.Default
}

// verify checks ref against the policy before anything of it is copied:
// its manifest and signatures are read when a requirement needs them, and
// the returned Verification names the digest the pull must then take. An
// image the policy refuses is an error wrapping ErrRefused, one line naming
// the image, the policy file, the scope and its rules.
func (o Options) verify(ctx context.Context, ref types.ImageReference, label string) (*image.Verification, error) {
	file, err := o.policyFile()
	if err != nil {
		return nil, err
	}
	if file == "" {
		return &image.Verification{Requirements: []string{"insecureAcceptAnything"}}, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("signature policy: %w", err)
	}
	policy, err := signature.NewPolicyFromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("signature policy %s: %w", file, err)
	}
	var raw rawPolicy
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("signature policy %s: %w", file, err)
	}
	scope, reqs := raw.scope(ref)
	v := &image.Verification{Policy: file, Scope: scope}
	check := false
	for _, r := range reqs {
		v.Requirements = append(v.Requirements, r.String())
		if r.Type != "insecureAcceptAnything" {
			check = true
		}
	}
	refuse := func(err error) error {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		where := scope
		if where == "" {
			where = "default"
		}
		return fmt.Errorf("%w: image %s, policy %s, scope %q (%s): %s", ErrRefused, label, file, where, strings.Join(v.Requirements, "; "), msg)
	}
	if !check {
		return v, nil
	}
	if slices.ContainsFunc(reqs, func(r rawRequirement) bool { return r.Type == "reject" }) {
		return nil, refuse(errors.New("the scope rejects every image"))
	}
	pc, err := signature.NewPolicyContext(policy)
	if err != nil {
		return nil, err
	}
	defer func() { _ = pc.Destroy() }()
	src, err := ref.NewImageSource(ctx, o.SystemContext())
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", label, err)
	}
	defer func() { _ = src.Close() }()
	// The manifest first: a registry that cannot be read is not a refusal.
	unparsed := cimage.UnparsedInstance(src, nil)
	mb, _, err := unparsed.Manifest(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", label, err)
	}
	// Whatever stops the image from satisfying the policy (no signature,
	// another key, a bad signature) refuses it.
	if ok, err := pc.IsRunningImageAllowed(ctx, unparsed); !ok {
		if err == nil {
			err = errors.New("not allowed")
		}
		return nil, refuse(err)
	}
	d, err := manifest.Digest(mb)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", label, err)
	}
	if v.Digest, err = v1.NewHash(d.String()); err != nil {
		return nil, fmt.Errorf("verify %s: %w", label, err)
	}
	for _, r := range reqs {
		if r.Type == "signedBy" || r.Type == "sigstoreSigned" {
			v.Signed = true
		}
	}
	return v, nil
}

// Verify implements image.Verifier: ref is checked against the policy
// under the containers/image transport of the same name (docker, oci,
// oci-archive).
func (o Options) Verify(ctx context.Context, ref image.Reference) (*image.Verification, error) {
	cref, err := imageReference(ref)
	if err != nil {
		return nil, err
	}
	return o.verify(ctx, cref, ref.String())
}

// imageReference is ref in containers/image's terms.
func imageReference(ref image.Reference) (types.ImageReference, error) {
	switch ref.Transport {
	case image.TransportLayout:
		return layout.NewReference(ref.Path, ref.Tag)
	case image.TransportArchive:
		return archive.NewReference(ref.Path, ref.Tag)
	case image.TransportRegistry:
		return docker.ParseReference("//" + dockerName(ref.Remote))
	}
	return nil, fmt.Errorf("%w: no policy transport for %s", image.ErrBadReference, ref)
}

// dockerName is r as the containers tools write it: Docker Hub is
// docker.io, where go-containerregistry says index.docker.io.
func dockerName(r name.Reference) string {
	return hubName(r.Name(), r.Context().RegistryStr())
}

// hubName is s, a name in registry, with Docker Hub spelled docker.io.
func hubName(s, registry string) string {
	if registry == name.DefaultRegistry {
		return "docker.io" + strings.TrimPrefix(s, name.DefaultRegistry)
	}
	return s
}
