package image

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// fakeVerifier answers every Verify with v or err, counting the calls.
type fakeVerifier struct {
	v     *Verification
	err   error
	calls int
}

func (f *fakeVerifier) Verify(context.Context, Reference) (*Verification, error) {
	f.calls++
	return f.v, f.err
}

func storeWith(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The verifier is asked before anything is copied; its refusal leaves the
// store as it was, its verdict is recorded, and a manifest other than
// the one it verified is refused.
func TestPullAsksVerifier(t *testing.T) {
	requireRoot(t)
	lay := t.TempDir()
	img := imageOf(t, v1.Config{Cmd: []string{"sh"}}, layerOf(t, tarOf(t, file("a", "x")), compression.GZip))
	writeLayout(t, lay, img, "latest")
	dig, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref := "oci:" + lay + ":latest"

	refuse := &fakeVerifier{err: errors.New("refused by the fake")}
	s := storeWith(t, WithVerifier(refuse))
	if _, err := s.Resolve(context.Background(), ref, nil); err == nil || refuse.calls != 1 {
		t.Fatalf("refused pull: %v after %d calls", err, refuse.calls)
	}
	assertStoreEmpty(t, s)

	other := &fakeVerifier{v: &Verification{Requirements: []string{"signedBy GPGKeys k"}, Signed: true, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}}}
	s = storeWith(t, WithVerifier(other))
	if _, err := s.Resolve(context.Background(), ref, nil); !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "changed after its verification") {
		t.Fatalf("pull of another manifest than the verified one: %v", err)
	}
	assertStoreEmpty(t, s)

	ok := &fakeVerifier{v: &Verification{Policy: "/p.json", Requirements: []string{"signedBy GPGKeys k"}, Signed: true, Digest: dig}}
	s = storeWith(t, WithVerifier(ok))
	pr, err := ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Pull(context.Background(), pr, "app", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verification == nil || got.Verification.Digest != dig || got.Verification.String() != "signedBy GPGKeys k" {
		t.Fatalf("recorded verification %+v", got.Verification)
	}
	if got, err := s.Lookup(got.Name); err != nil || got.Verification == nil || !got.Verification.Signed {
		t.Fatalf("verification not in the record: %+v, %v", got, err)
	}
	// A name already in the store is not verified again.
	if _, err := s.Resolve(context.Background(), "app", nil); err != nil || ok.calls != 1 {
		t.Fatalf("store name: %v after %d calls", err, ok.calls)
	}
}

// A registry pull takes the verified digest, not the tag, and plain HTTP
// where the store is told the registry is insecure.
func TestPinned(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	s := storeWith(t, WithInsecure(func(r string) bool { return r == "insecure.example:5000" }))
	for _, c := range []struct {
		ref    string
		ver    *Verification
		want   string
		scheme string
	}{
		{"reg.example/a/b:v1", nil, "reg.example/a/b:v1", "https"},
		{"reg.example/a/b:v1", &Verification{Digest: v1.Hash{Algorithm: "sha256", Hex: hex}}, "reg.example/a/b@sha256:" + hex, "https"},
		{"reg.example/a/b@sha256:" + hex, nil, "reg.example/a/b@sha256:" + hex, "https"},
		{"insecure.example:5000/a:v1", nil, "insecure.example:5000/a:v1", "http"},
	} {
		r, err := name.ParseReference(c.ref)
		if err != nil {
			t.Fatal(err)
		}
		p := s.pinned(r, c.ver)
		if p.String() != c.want || p.Context().Scheme() != c.scheme {
			t.Errorf("%s: %s (%s), want %s (%s)", c.ref, p, p.Context().Scheme(), c.want, c.scheme)
		}
	}
}

func TestVerificationString(t *testing.T) {
	for want, v := range map[string]*Verification{
		"-":                                      nil,
		"no policy":                              {Requirements: []string{"insecureAcceptAnything"}},
		"accepted unsigned":                      {Policy: "/p", Requirements: []string{"insecureAcceptAnything"}},
		"sigstoreSigned /k, signedBy GPGKeys /g": {Policy: "/p", Signed: true, Requirements: []string{"sigstoreSigned /k", "signedBy GPGKeys /g"}},
	} {
		if got := v.String(); got != want {
			t.Errorf("%+v: %q, want %q", v, got, want)
		}
	}
}

// A store with a copier copies nothing itself: the copier (another
// process in cgrun, here another Store on the same directory) records the
// image, which the store then finds under the name; a copier's refusal is
// the pull's error, and store names never reach it.
func TestCopier(t *testing.T) {
	root := t.TempDir()
	lay := t.TempDir()
	writeLayout(t, lay, imageOf(t, v1.Config{Cmd: []string{"sh"}}, layerOf(t, tarOf(t, file("a", "1")), compression.GZip)), "latest")
	var asked []string
	other, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	refuse := errors.New("refused by the copier")
	s, err := Open(root, WithCopier(func(ctx context.Context, ref Reference, name string, p Progress) error {
		asked = append(asked, ref.Arg()+" "+name)
		if name == "refused:v1" {
			return refuse
		}
		_, err := other.Pull(ctx, ref, name, p)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ParseReference("oci:" + lay + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Pull(context.Background(), ref, "copied:v1", nil)
	if err != nil || img.Name != "copied:v1" {
		t.Fatalf("pull through the copier: %+v, %v", img, err)
	}
	if _, err := s.Pull(context.Background(), ref, "refused:v1", nil); !errors.Is(err, refuse) {
		t.Fatalf("the copier's refusal: %v", err)
	}
	if _, err := s.Resolve(context.Background(), "copied:v1", nil); err != nil {
		t.Fatalf("a store name: %v", err)
	}
	want := []string{"oci:" + lay + ":latest copied:v1", "oci:" + lay + ":latest refused:v1"}
	if !slices.Equal(asked, want) {
		t.Fatalf("the copier was asked %q, want %q", asked, want)
	}
}
