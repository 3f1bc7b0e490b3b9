package image

import (
	"context"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Verifier decides whether an image may be copied into the store, before
// anything of it is (package trust: containers-policy.json(5)).
type Verifier interface {
	// Verify returns what accepted ref, or an error that refuses it. A
	// Verification with a Digest pins the copy to that manifest.
	Verify(ctx context.Context, ref Reference) (*Verification, error)
}

// Verification is what accepted an image: the policy file, the scope of
// it that applied and its requirements, and the manifest they were
// checked against.
type Verification struct {
	// Policy is the policy file; empty when the host has none.
	Policy string `json:"policy,omitempty"`
	// Scope is the transport and the scope of the policy that applied
	// ("docker:REGISTRY/NS", "docker" for the transport's default), or ""
	// for the policy's default.
	Scope string `json:"scope,omitempty"`
	// Requirements are the rules applied, one each: "insecureAcceptAnything",
	// "signedBy GPGKeys KEYFILE", "sigstoreSigned KEYFILE", ...
	Requirements []string `json:"requirements"`
	// Signed is true when a requirement verified a signature.
	Signed bool `json:"signed"`
	// Digest is the manifest the signatures were verified against (empty
	// when no requirement read the image).
	Digest v1.Hash `json:"digest,omitzero"`
}

// String is the verdict in a few words, as `cgrun images` shows it.
func (v *Verification) String() string {
	switch {
	case v == nil:
		return "-"
	case v.Signed:
		return strings.Join(v.Requirements, ", ")
	case v.Policy == "":
		return "no policy"
	}
	return "accepted unsigned"
}

// WithVerifier makes every copy into the store ask v first.
func WithVerifier(v Verifier) Option { return func(s *Store) { s.verifier = v } }

// WithInsecure says which registries (HOST[:PORT]) may be reached over
// plain HTTP; go-containerregistry tries HTTP only for loopback and
// private addresses otherwise.
func WithInsecure(f func(registry string) bool) Option { return func(s *Store) { s.insecure = f } }

// Copier copies an image into a store from outside this process: a
// program that keeps the registry and signature code out of its own
// binary (cgrun's does, in cgrun-registry) pulls through another process
// that opens the same store. It records the image under name; p is the
// caller's progress, which a copier may have no way to drive.
type Copier func(ctx context.Context, ref Reference, name string, p Progress) error

// WithCopier makes every copy of an oci:, oci-archive: or docker://
// reference into the store go through c (its verifier and registry
// options are c's own); the store then looks the image up under its name.
func WithCopier(c Copier) Option { return func(s *Store) { s.external = c } }
