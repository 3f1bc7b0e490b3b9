package trust

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/cgrun/cgrun/image"
)

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func verify(t *testing.T, o Options, ref string) (*image.Verification, error) {
	t.Helper()
	r, err := image.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return o.Verify(context.Background(), r)
}

// The scope that applies is the most specific one, as the signature
// package picks it: repository, then namespaces, then the transport's
// default, then the policy's default.
func TestVerifyScopeOrder(t *testing.T) {
	policy := writeFile(t, "policy.json", `{
		"default": [{"type": "reject"}],
		"transports": {
			"docker": {
				"reg.example/a/b/app": [{"type": "insecureAcceptAnything"}],
				"reg.example/a": [{"type": "insecureAcceptAnything"}, {"type": "insecureAcceptAnything"}],
				"": [{"type": "insecureAcceptAnything"}, {"type": "insecureAcceptAnything"}, {"type": "insecureAcceptAnything"}]
			},
			"oci": {"": [{"type": "reject"}]}
		}
	}`)
	o := Options{PolicyPath: policy}
	for _, c := range []struct {
		ref, scope string
		reqs       int
	}{
		{"docker://reg.example/a/b/app:1", "docker:reg.example/a/b/app", 1},
		{"docker://reg.example/a/b/other:1", "docker:reg.example/a", 2},
		{"docker://reg.example/a/x@sha256:" + strings.Repeat("a", 64), "docker:reg.example/a", 2},
		{"docker://other.example/a/b/app:1", "docker", 3},
	} {
		v, err := verify(t, o, c.ref)
		if err != nil {
			t.Fatalf("%s: %v", c.ref, err)
		}
		if v.Scope != c.scope || len(v.Requirements) != c.reqs || v.Signed || v.Policy != policy {
			t.Fatalf("%s: %+v, want scope %q with %d requirements", c.ref, v, c.scope, c.reqs)
		}
	}
	_, err := verify(t, o, "oci:"+t.TempDir()+":x")
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), `scope "oci"`) || !strings.Contains(err.Error(), "(reject)") {
		t.Fatalf("oci layout under reject: %v", err)
	}
}

func TestVerifyBadPolicy(t *testing.T) {
	if _, err := verify(t, Options{PolicyPath: "/nonexistent/policy.json"}, "docker://r.example/a:1"); err == nil || !strings.Contains(err.Error(), "/nonexistent/policy.json") {
		t.Fatalf("missing policy: %v", err)
	}
	bad := writeFile(t, "policy.json", `{"default": [{"type": "signedBy"}]}`)
	if _, err := verify(t, Options{PolicyPath: bad}, "docker://r.example/a:1"); err == nil || !strings.Contains(err.Error(), bad) || errors.Is(err, ErrRefused) {
		t.Fatalf("invalid policy: %v", err)
	}
	empty := writeFile(t, "policy.json", `{"default": []}`)
	if _, err := verify(t, Options{PolicyPath: empty}, "docker://r.example/a:1"); err == nil || !strings.Contains(err.Error(), empty) {
		t.Fatalf("a scope without requirements: %v, want the policy refused", err)
	}
}

func TestRequirementString(t *testing.T) {
	for want, r := range map[string]rawRequirement{
		"insecureAcceptAnything":      {Type: "insecureAcceptAnything"},
		"signedBy GPGKeys /k.gpg":     {Type: "signedBy", KeyType: "GPGKeys", KeyPath: "/k.gpg"},
		"signedBy GPGKeys /a,/b":      {Type: "signedBy", KeyType: "GPGKeys", KeyPaths: []string{"/a", "/b"}},
		"signedBy GPGKeys inline key": {Type: "signedBy", KeyType: "GPGKeys", KeyData: "AAAA"},
		"sigstoreSigned /c.pub":       {Type: "sigstoreSigned", KeyPath: "/c.pub"},
		"sigstoreSigned fulcio":       {Type: "sigstoreSigned", Fulcio: map[string]any{}},
	} {
		if got := r.String(); got != want {
			t.Errorf("%+v: %q, want %q", r, got, want)
		}
	}
}

// Plain HTTP only for registries registries.conf lists as insecure, or
// with TLS verification off.
func TestTransportPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	get := func(o Options) error {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/", nil)
		resp, err := o.NewTransport().RoundTrip(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusTeapot {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
		return err
	}
	none := writeFile(t, "registries.conf", "")
	if err := get(Options{RegistriesConf: none}); err == nil || !strings.Contains(err.Error(), "plain HTTP refused") {
		t.Fatalf("plain HTTP to a registry not listed: %v", err)
	}
	if err := get(Options{RegistriesConf: none, SkipTLSVerify: true}); err != nil {
		t.Fatalf("plain HTTP with TLS verification off: %v", err)
	}
	listed := writeFile(t, "registries.conf", "[[registry]]\nlocation = \""+u.Host+"\"\ninsecure = true\n")
	if err := get(Options{RegistriesConf: listed}); err != nil {
		t.Fatalf("plain HTTP to an insecure registry: %v", err)
	}
}

func TestKeychain(t *testing.T) {
	auth := writeFile(t, "auth.json", `{"auths": {"reg.example:5000": {"auth": "`+base64.StdEncoding.EncodeToString([]byte("u:p"))+`"},
		"docker.io": {"auth": "`+base64.StdEncoding.EncodeToString([]byte("hub:secret"))+`"}}}`)
	k := Options{AuthFile: auth}.Keychain()
	for ref, want := range map[string]authn.AuthConfig{
		"reg.example:5000/a/b": {Username: "u", Password: "p"},
		"library/busybox":      {Username: "hub", Password: "secret"},
		"other.example/a":      {},
	} {
		r, err := name.NewRepository(ref)
		if err != nil {
			t.Fatal(err)
		}
		a, err := k.Resolve(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != want.Username || got.Password != want.Password {
			t.Errorf("%s: %+v, want %+v", ref, got, want)
		}
	}
}
