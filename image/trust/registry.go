package trust

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/pkg/tlsclientconfig"
	"go.podman.io/image/v5/types"
)

// certsDirs are where per-registry certificates live, in the order the
// containers tools search them.
func certsDirs() []string {
	var dirs []string
	if d, err := os.UserConfigDir(); err == nil && os.Getuid() != 0 {
		dirs = append(dirs, filepath.Join(d, "containers", "certs.d"))
	}
	return append(dirs, "/etc/containers/certs.d", "/etc/docker/certs.d")
}

// Insecure says whether registry (HOST[:PORT]) may be reached over plain
// HTTP or with an unverified certificate: registries.conf lists it as
// insecure, or o turns TLS verification off.
func (o Options) Insecure(registry string) (bool, error) {
	if o.SkipTLSVerify {
		return true, nil
	}
	r, err := sysregistriesv2.FindRegistry(o.SystemContext(), registry)
	if err != nil {
		return false, fmt.Errorf("registries.conf: %w", err)
	}
	return r != nil && r.Insecure, nil
}

// TLSConfig is the TLS client configuration for registry: the CAs and
// client certificates of its certs.d directory (or CertDir) beside the
// system's roots, unverified only when Insecure says so.
func (o Options) TLSConfig(registry string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	dir := o.CertDir
	if dir == "" {
		for _, d := range certsDirs() {
			if _, err := os.Stat(filepath.Join(d, registry)); err == nil {
				dir = filepath.Join(d, registry)
				break
			}
		}
	}
	if dir != "" {
		if err := tlsclientconfig.SetupCertificates(dir, c); err != nil {
			return nil, fmt.Errorf("certificates of %s in %s: %w", registry, dir, err)
		}
	}
	insecure, err := o.Insecure(registry)
	if err != nil {
		return nil, err
	}
	c.InsecureSkipVerify = insecure
	return c, nil
}

// Transport is an http.RoundTripper for registries: each registry's TLS
// configuration, and plain HTTP refused for those not insecure.
type Transport struct {
	o  Options
	mu sync.Mutex
	rt map[string]http.RoundTripper
}

// NewTransport returns the registry transport of o.
func (o Options) NewTransport() *Transport {
	return &Transport{o: o, rt: map[string]http.RoundTripper{}}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	if req.URL.Scheme == "http" {
		insecure, err := t.o.Insecure(host)
		if err != nil {
			return nil, err
		}
		if !insecure {
			return nil, fmt.Errorf("registry %s: plain HTTP refused (list it as insecure in registries.conf, or pass --tls-verify=false)", host)
		}
	}
	rt, err := t.transport(host)
	if err != nil {
		return nil, err
	}
	return rt.RoundTrip(req)
}

func (t *Transport) transport(host string) (http.RoundTripper, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if rt, ok := t.rt[host]; ok {
		return rt, nil
	}
	c, err := t.o.TLSConfig(host)
	if err != nil {
		return nil, err
	}
	h := http.DefaultTransport.(*http.Transport).Clone()
	h.TLSClientConfig = c
	t.rt[host] = h
	return h, nil
}

// Keychain resolves a registry's credentials from the files and helpers
// the containers tools and Docker use.
type Keychain struct{ sys *types.SystemContext }

// Keychain returns the credential lookup of o.
func (o Options) Keychain() Keychain { return Keychain{sys: o.SystemContext()} }

// Resolve implements authn.Keychain.
func (k Keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	c, err := config.GetCredentials(k.sys, hubName(r.String(), r.RegistryStr()))
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", r.RegistryStr(), err)
	}
	switch {
	case c.IdentityToken != "":
		return authn.FromConfig(authn.AuthConfig{IdentityToken: c.IdentityToken}), nil
	case c.Username != "" || c.Password != "":
		return &authn.Basic{Username: c.Username, Password: c.Password}, nil
	}
	return authn.Anonymous, nil
}

// RemoteOptions are the go-containerregistry options that reach
// registries as o says: its transport and its credentials.
func (o Options) RemoteOptions() []remote.Option {
	return []remote.Option{remote.WithTransport(o.NewTransport()), remote.WithAuthFromKeychain(o.Keychain())}
}
