package integration

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	ocilayout "go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/signature/signer"
	"go.podman.io/image/v5/signature/sigstore"
	"go.podman.io/image/v5/types"

	"github.com/cgrun/cgrun/integration/testutil"
)

// tlsRegistry is go-containerregistry's registry on 127.0.0.1, serving
// TLS with a certificate of a test CA and asking for basic auth.
type tlsRegistry struct {
	host       string // 127.0.0.1:PORT
	caDir      string // ca.crt, for --cert-dir
	clientDir  string // ca.crt, client.cert and client.key
	user, pass string
}

// pemFile writes a PEM block to dir/name.
func pemFile(t *testing.T, dir, name, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// issue makes a certificate for tmpl signed by parent (self-signed when
// nil) and returns it with its key.
func issue(t *testing.T, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) ([]byte, *x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return der, cert, key
}

// serveTLSRegistry starts a registry that only answers over TLS with a
// certificate of its own CA, to user:pass (random) only; with
// clientCert, only to clients holding a certificate of that CA.
func serveTLSRegistry(t *testing.T, clientCert bool) *tlsRegistry {
	t.Helper()
	now := time.Now()
	caDER, ca, caKey := issue(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cgrun test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, nil, nil)
	srvDER, _, srvKey := issue(t, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}, ca, caKey)
	r := &tlsRegistry{caDir: t.TempDir(), clientDir: t.TempDir(), user: "cgrun", pass: "pw-" + rand.Text()}
	pemFile(t, r.caDir, "ca.crt", "CERTIFICATE", caDER)
	pemFile(t, r.clientDir, "ca.crt", "CERTIFICATE", caDER)
	cliDER, _, cliKey := issue(t, &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "cgrun test client"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}, ca, caKey)
	pemFile(t, r.clientDir, "client.cert", "CERTIFICATE", cliDER)
	keyDER, err := x509.MarshalECPrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	pemFile(t, r.clientDir, "client.key", "EC PRIVATE KEY", keyDER)

	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); !ok || u != r.user || p != r.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="cgrun-test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, req)
	}))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}}}
	if clientCert {
		srv.TLS.ClientAuth, srv.TLS.ClientCAs = tls.RequireAndVerifyClientCert, pool
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	r.host = u.Host
	return r
}

// authFile writes a containers auth.json holding r's credentials.
func (r *tlsRegistry) authFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "auth.json")
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{r.host: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(r.user + ":" + r.pass))}}})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// skopeoPush copies the test image to r as repo:tag with Debian's skopeo,
// with extra arguments (signing).
func (r *tlsRegistry) skopeoPush(t *testing.T, repoTag string, extra ...string) {
	t.Helper()
	skopeo := testutil.RequireCommand(t, "skopeo", "skopeo")
	args := append([]string{"copy", "-q", "--dest-authfile", r.authFile(t), "--dest-cert-dir", r.caDir}, extra...)
	args = append(args, "oci:"+testutil.TestImageOCIDir(t)+":latest", "docker://"+r.host+"/"+repoTag)
	cmd := exec.Command(skopeo, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("skopeo %q: %v: %s", args, err, errb.String())
	}
}

// refused asserts a failed command: exit 125 and one line holding every
// one of want.
func refused(t *testing.T, what string, stderr string, code int, want ...string) {
	t.Helper()
	line := strings.TrimSpace(stderr)
	if code != 125 || strings.Contains(line, "\n") {
		t.Fatalf("%s: exit %d, stderr %q; want 125 and one line", what, code, stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Fatalf("%s: stderr %q does not say %q", what, line, w)
		}
	}
}

// storeEmpty asserts that nothing of an image is in the store: no record,
// no blob, no layer, nothing in tmp/.
func (e *imageEnv) storeEmpty(what string) {
	e.t.Helper()
	if out := e.must("images", "--format", "json"); strings.TrimSpace(out) != "[]" {
		e.t.Fatalf("%s: images %s", what, out)
	}
	for _, d := range []string{"blobs/sha256", "layers/sha256", "tmp"} {
		if l := entries(e.t, filepath.Join(e.store, d)); len(l) != 0 {
			e.t.Fatalf("%s: %s holds %v", what, d, l)
		}
	}
}

// Credentials: login refuses a wrong password and a password in argv,
// stores the right one 0600 where pull finds it (--authfile,
// $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json, Docker's
// config.json, a credential helper); logout removes it. TLS: a missing CA
// is refused, --cert-dir and certs.d supply it, --tls-verify=false skips
// it, a registry asking for a client certificate gets certs.d's.
func TestImageRegistryLoginTLS(t *testing.T) {
	skipInVM(t)
	e := newImageEnv(t)
	r := serveTLSRegistry(t, false)
	r.skopeoPush(t, "cgrun/app:v1")
	ref := "docker://" + r.host + "/cgrun/app:v1"
	auth := filepath.Join(t.TempDir(), "auth.json")

	_, stderr, code := e.cgrun("pull", "--cert-dir", r.caDir, "--authfile", auth, ref)
	refused(t, "pull before login", stderr, code, "UNAUTHORIZED")
	e.storeEmpty("pull before login")

	_, stderr, code = e.cgrunIn(nil, "wrong-"+r.pass+"\n", "login", "--cert-dir", r.caDir, "--authfile", auth, "-u", r.user, "--password-stdin", r.host)
	refused(t, "login with a wrong password", stderr, code, "invalid username or password")
	if strings.Contains(stderr, r.pass) {
		t.Fatalf("login error shows the password: %q", stderr)
	}
	if _, err := os.Stat(auth); err == nil {
		b, _ := os.ReadFile(auth)
		if strings.Contains(string(b), r.host) {
			t.Fatalf("a refused login stored credentials: %s", b)
		}
	}
	_, stderr, code = e.cgrun("login", "--authfile", auth, "-u", r.user, "-p", r.pass, r.host)
	refused(t, "login -p", stderr, code, "--password", "--password-stdin")
	if strings.Contains(stderr, r.pass) {
		t.Fatalf("login -p error shows the password: %q", stderr)
	}

	out, stderr, code := e.cgrunIn(nil, r.pass+"\n", "login", "--cert-dir", r.caDir, "--authfile", auth, "-u", r.user, "--password-stdin", r.host)
	if code != 0 || strings.TrimSpace(out) != "Login Succeeded" {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if fi, err := os.Stat(auth); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("auth file after login: %v, %v; want mode 0600", fi, err)
	}
	if got := strings.TrimSpace(e.must("login", "--authfile", auth, "--get-login", r.host)); got != r.user {
		t.Fatalf("login --get-login: %q, want %q", got, r.user)
	}

	// No CA: refused, nothing stored.
	_, stderr, code = e.cgrun("pull", "--authfile", auth, ref)
	refused(t, "pull without the registry's CA", stderr, code, "certificate")
	e.storeEmpty("pull without the CA")

	e.must("pull", "--cert-dir", r.caDir, "--authfile", auth, ref)
	e.must("rmi", r.host+"/cgrun/app:v1")
	e.must("pull", "--tls-verify=false", "--authfile", auth, ref)
	e.must("rmi", r.host+"/cgrun/app:v1")

	// The CA in /etc/containers/certs.d/HOST:PORT, the credentials through
	// $REGISTRY_AUTH_FILE; run pulls as pull does.
	certsd := filepath.Join("/etc/containers/certs.d", r.host)
	_, err := os.Stat(filepath.Dir(certsd))
	madeParent := os.IsNotExist(err)
	if err := os.MkdirAll(certsd, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.RemoveAll(certsd)
		if madeParent { // certs.d was not there before: it goes too
			_ = os.Remove(filepath.Dir(certsd))
		}
	})
	ca, err := os.ReadFile(filepath.Join(r.caDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certsd, "ca.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = e.cgrunIn([]string{"REGISTRY_AUTH_FILE=" + auth}, "", "run", "--rm", ref, "stress", "--version")
	if code != 0 || !strings.HasPrefix(out, "stress 1.") {
		t.Fatalf("run with certs.d and $REGISTRY_AUTH_FILE: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	e.assertReleased()
	e.must("rmi", r.host+"/cgrun/app:v1")

	// The default file of a login with neither: ${XDG_RUNTIME_DIR}/containers/auth.json.
	home := t.TempDir()
	env := []string{"XDG_RUNTIME_DIR=" + home, "XDG_CONFIG_HOME=" + home + "/config", "HOME=" + home, "DOCKER_CONFIG=" + home + "/docker", "REGISTRY_AUTH_FILE="}
	out, stderr, code = e.cgrunIn(env, r.pass, "login", "-u", r.user, "--password-stdin", r.host)
	if code != 0 || strings.TrimSpace(out) != "Login Succeeded" {
		t.Fatalf("login to the default file: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	def := filepath.Join(home, "containers", "auth.json")
	if fi, err := os.Stat(def); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("default auth file %s: %v, %v; want mode 0600", def, fi, err)
	}
	if _, _, code := e.cgrunIn(env, "", "pull", ref); code != 0 {
		t.Fatalf("pull with the default auth file: exit %d", code)
	}
	e.must("rmi", r.host+"/cgrun/app:v1")
	out, _, code = e.cgrunIn(env, "", "logout", r.host)
	if code != 0 || !strings.Contains(out, "Removed login credentials for "+r.host) {
		t.Fatalf("logout: exit %d, %q", code, out)
	}
	_, stderr, code = e.cgrunIn(env, "", "pull", ref)
	refused(t, "pull after logout", stderr, code, "UNAUTHORIZED")
	_, stderr, code = e.cgrunIn(env, "", "logout", r.host)
	refused(t, "logout twice", stderr, code, "not logged in")
	e.storeEmpty("pull after logout")

	// Docker's config.json: credentials, then a credential helper.
	if err := os.MkdirAll(home+"/docker", 0o700); err != nil {
		t.Fatal(err)
	}
	basic := base64.StdEncoding.EncodeToString([]byte(r.user + ":" + r.pass))
	writeJSON(t, home+"/docker/config.json", map[string]any{"auths": map[string]any{r.host: map[string]string{"auth": basic}}})
	if _, stderr, code := e.cgrunIn(env, "", "pull", ref); code != 0 {
		t.Fatalf("pull with Docker's config.json: exit %d, %s", code, stderr)
	}
	e.must("rmi", r.host+"/cgrun/app:v1")
	bin := filepath.Join(home, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	helper := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread -r server\nprintf '{\"ServerURL\":\"%%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' \"$server\"\n", r.user, r.pass)
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-cgruntest"), []byte(helper), 0o700); err != nil {
		t.Fatal(err)
	}
	writeJSON(t, home+"/docker/config.json", map[string]any{"credHelpers": map[string]string{r.host: "cgruntest"}})
	helperEnv := append(slices.Clone(env), "PATH="+bin+":"+os.Getenv("PATH"))
	if _, stderr, code := e.cgrunIn(helperEnv, "", "pull", ref); code != 0 {
		t.Fatalf("pull with a credential helper: exit %d, %s", code, stderr)
	}
	e.must("rmi", r.host+"/cgrun/app:v1")

	// A registry that asks for a client certificate.
	rc := serveTLSRegistry(t, true)
	rc.skopeoPushWithClientCert(t, "cgrun/app:v1")
	cref := "docker://" + rc.host + "/cgrun/app:v1"
	_, stderr, code = e.cgrun("pull", "--cert-dir", rc.caDir, "--authfile", rc.authFile(t), cref)
	refused(t, "pull without a client certificate", stderr, code, rc.host)
	e.storeEmpty("pull without a client certificate")
	e.must("pull", "--cert-dir", rc.clientDir, "--authfile", rc.authFile(t), cref)
}

// skipInVM: credentials, TLS and signatures do not depend on the kernel;
// the host lane runs them, the VM lane's time goes to what does.
func skipInVM(t *testing.T) {
	t.Helper()
	if testutil.InVM() {
		t.Skip("registry credentials, TLS and signature policy: the host lane runs them")
	}
}

// skopeoPushWithClientCert is skopeoPush with r's client certificate.
func (r *tlsRegistry) skopeoPushWithClientCert(t *testing.T, repoTag string) {
	t.Helper()
	ca := r.caDir
	r.caDir = r.clientDir
	defer func() { r.caDir = ca }()
	r.skopeoPush(t, repoTag)
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// gpgKey makes a GPG signing key in home and returns its fingerprint and
// its public key exported to a file.
func gpgKey(t *testing.T, home, uid string) (string, string) {
	t.Helper()
	gpg := testutil.RequireCommand(t, "gpg", "gnupg")
	run := func(args ...string) []byte {
		cmd := exec.Command(gpg, append([]string{"--batch", "--homedir", home}, args...)...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %q: %v: %s", args, err, errb.String())
		}
		return out
	}
	run("--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
	var fpr string
	for _, l := range strings.Split(string(run("--with-colons", "--list-secret-keys", uid)), "\n") {
		if f := strings.Split(l, ":"); f[0] == "fpr" && fpr == "" {
			fpr = f[9]
		}
	}
	if fpr == "" {
		t.Fatalf("no fingerprint for %s", uid)
	}
	pub := filepath.Join(home, uid[:strings.IndexByte(uid, ' ')]+".gpg")
	if err := os.WriteFile(pub, run("--export", fpr), 0o644); err != nil {
		t.Fatal(err)
	}
	return fpr, pub
}

// sigstorePush copies the test image to r as repoTag signed with a
// sigstore key, the signature stored as the registry's sha256-DIGEST.sig
// attachment. Debian's skopeo is built without sigstore ("Debian-local
// change: sigstore disabled"), so this runs what upstream skopeo's
// --sign-by-sigstore-private-key runs: containers/image's copy with its
// sigstore signer.
func (r *tlsRegistry) sigstorePush(t *testing.T, repoTag, regd, priv, passFile string) {
	t.Helper()
	pw, err := os.ReadFile(passFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sigstore.NewSigner(sigstore.WithPrivateKeyFile(priv, pw))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	src, err := ocilayout.NewReference(testutil.TestImageOCIDir(t), "latest")
	if err != nil {
		t.Fatal(err)
	}
	dst, err := docker.ParseReference("//" + r.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := signature.NewPolicyContext(&signature.Policy{Default: []signature.PolicyRequirement{signature.NewPRInsecureAcceptAnything()}})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Destroy()
	sys := &types.SystemContext{AuthFilePath: r.authFile(t), DockerCertPath: r.caDir, RegistriesDirPath: regd}
	if _, err := copy.Image(t.Context(), pc, dst, src, &copy.Options{Signers: []*signer.Signer{s}, DestinationCtx: sys}); err != nil {
		t.Fatalf("sign and push %s: %v", repoTag, err)
	}
}

// sigstoreKey writes a sigstore key pair (cosign's format, as skopeo
// reads it) and its passphrase file under dir.
func sigstoreKey(t *testing.T, dir, name string) (priv, pass, pub string) {
	t.Helper()
	pw := []byte(rand.Text())
	k, err := sigstore.GenerateKeyPair(pw)
	if err != nil {
		t.Fatal(err)
	}
	priv, pass, pub = filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pass"), filepath.Join(dir, name+".pub")
	for p, b := range map[string][]byte{priv: k.PrivateKey, pass: pw, pub: k.PublicKey} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return priv, pass, pub
}

// signedRegistry is a TLS registry with basic auth holding the test
// image as signed and refused cases, with the policy and registries.d
// that tell them apart:
//
//	cgrun/signed:v1     skopeo --sign-by key A (GPG, lookaside store)
//	cgrun/unsigned:v1   no signature
//	cgrun/otherkey:v1   signed by GPG key B
//	cgrun/tampered:v1   signed by A, a byte of the signature flipped
//	cosign/signed:v1    sigstore key C (an attachment in the registry)
//	cosign/otherkey:v1  sigstore key D
//	cosign/unsigned:v1  no signature
//
// The policy requires A under REGISTRY/cgrun, C under REGISTRY/cosign,
// and rejects everything else.
type signedRegistry struct {
	*tlsRegistry
	policy, regd string
	pubA, pubC   string
}

func serveSignedRegistry(t *testing.T) *signedRegistry {
	t.Helper()
	r := serveTLSRegistry(t, false)
	w := t.TempDir()

	gnupg, err := os.MkdirTemp("", "gpg") // short: gpg-agent's socket path is bounded
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command("gpgconf", "--homedir", gnupg, "--kill", "all").Run()
		_ = os.RemoveAll(gnupg)
	})
	t.Setenv("GNUPGHOME", gnupg) // skopeo signs through gpgme
	fprA, pubA := gpgKey(t, gnupg, "cgrunA <a@cgrun.test>")
	fprB, _ := gpgKey(t, gnupg, "cgrunB <b@cgrun.test>")
	privC, passC, pubC := sigstoreKey(t, w, "c")
	privD, passD, _ := sigstoreKey(t, w, "d")

	sigs := filepath.Join(w, "sigs")
	regd := filepath.Join(w, "registries.d")
	if err := os.MkdirAll(regd, 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf("docker:\n  %s/cgrun:\n    lookaside: file://%s\n    lookaside-staging: file://%s\n  %s/cosign:\n    use-sigstore-attachments: true\n", r.host, sigs, sigs, r.host)
	if err := os.WriteFile(filepath.Join(regd, "test.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r.skopeoPush(t, "cgrun/signed:v1", "--registries.d", regd, "--sign-by", fprA)
	r.skopeoPush(t, "cgrun/unsigned:v1", "--registries.d", regd)
	r.skopeoPush(t, "cgrun/otherkey:v1", "--registries.d", regd, "--sign-by", fprB)
	r.skopeoPush(t, "cgrun/tampered:v1", "--registries.d", regd, "--sign-by", fprA)
	r.sigstorePush(t, "cosign/signed:v1", regd, privC, passC)
	r.sigstorePush(t, "cosign/otherkey:v1", regd, privD, passD)
	r.skopeoPush(t, "cosign/unsigned:v1", "--registries.d", regd)
	// Flip a byte in the middle of the tampered repository's signature.
	tampered, err := filepath.Glob(filepath.Join(sigs, "cgrun/tampered@sha256=*/signature-1"))
	if err != nil || len(tampered) != 1 {
		t.Fatalf("lookaside signature of cgrun/tampered: %v, %v", tampered, err)
	}
	b, err := os.ReadFile(tampered[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(tampered[0], b, 0o644); err != nil {
		t.Fatal(err)
	}

	policy := filepath.Join(w, "policy.json")
	writeJSON(t, policy, map[string]any{
		"default": []any{map[string]string{"type": "reject"}},
		"transports": map[string]any{"docker": map[string]any{
			r.host + "/cgrun":  []any{map[string]string{"type": "signedBy", "keyType": "GPGKeys", "keyPath": pubA}},
			r.host + "/cosign": []any{map[string]string{"type": "sigstoreSigned", "keyPath": pubC}},
		}},
	})
	return &signedRegistry{tlsRegistry: r, policy: policy, regd: regd, pubA: pubA, pubC: pubC}
}

// Signature verification by containers-policy.json(5): images skopeo
// signed with the policy's GPG key (simple signing, in a lookaside store)
// and with its sigstore key (an attachment in the registry) run; unsigned
// images, images signed by another key, a tampered signature and the
// policy's reject are refused in one line naming the image and the rule,
// before anything of them is copied; images and inspect say what
// verified an image.
func TestImageSignaturePolicy(t *testing.T) {
	skipInVM(t)
	e := newImageEnv(t)
	sr := serveSignedRegistry(t)
	r, policy, regd, pubA, pubC := sr.tlsRegistry, sr.policy, sr.regd, sr.pubA, sr.pubC
	flags := []string{"--signature-policy", policy, "--registries.d", regd, "--cert-dir", r.caDir, "--authfile", r.authFile(t)}
	pull := func(repo string) (string, string, int) {
		return e.cgrun(append(append([]string{"pull"}, flags...), "docker://"+r.host+"/"+repo)...)
	}

	for _, c := range []struct{ repo, rule, why string }{
		{"cgrun/unsigned:v1", "signedBy GPGKeys " + pubA, "no signature exists"},
		{"cgrun/otherkey:v1", "signedBy GPGKeys " + pubA, "Key not found"},
		// the flipped byte breaks the compressed packet or the signature,
		// whichever it lands in: refused either way, the reason varies
		{"cgrun/tampered:v1", "signedBy GPGKeys " + pubA, ""},
		{"cosign/otherkey:v1", "sigstoreSigned " + pubC, "cryptographic signature verification failed"},
		{"cosign/unsigned:v1", "sigstoreSigned " + pubC, "no signature exists"},
		{"elsewhere/app:v1", "reject", "rejects every image"},
	} {
		_, stderr, code := pull(c.repo)
		refused(t, "pull of "+c.repo, stderr, code, "refused by policy", r.host+"/"+c.repo, policy, c.rule, c.why)
		e.storeEmpty("refused " + c.repo)
	}
	// run refuses as pull does, and runs what the policy accepts.
	_, stderr, code := e.cgrun(append(append([]string{"run", "--rm"}, flags...), "docker://"+r.host+"/cgrun/unsigned:v1", "true")...)
	refused(t, "run of an unsigned image", stderr, code, "refused by policy", "cgrun/unsigned:v1")
	e.storeEmpty("run of an unsigned image")
	for _, repo := range []string{"cgrun/signed:v1", "cosign/signed:v1"} {
		out := e.must(append(append([]string{"run", "--rm"}, flags...), "docker://"+r.host+"/"+repo, "stress", "--version")...)
		if !strings.HasPrefix(out, "stress 1.") {
			t.Fatalf("run of %s printed %q", repo, out)
		}
		e.assertReleased()
	}

	var imgs []struct {
		Name         string `json:"name"`
		Digest       string `json:"digest"`
		Verification struct {
			Policy       string   `json:"policy"`
			Scope        string   `json:"scope"`
			Requirements []string `json:"requirements"`
			Signed       bool     `json:"signed"`
			Digest       string   `json:"digest"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(e.must("images", "--format", "json")), &imgs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{r.host + "/cgrun/signed:v1": "signedBy GPGKeys " + pubA, r.host + "/cosign/signed:v1": "sigstoreSigned " + pubC}
	for _, img := range imgs {
		v := img.Verification
		if !v.Signed || v.Policy != policy || len(v.Requirements) != 1 || v.Requirements[0] != want[img.Name] || v.Digest != img.Digest {
			t.Fatalf("image %s: verification %+v, want signed by %q against %s", img.Name, v, want[img.Name], img.Digest)
		}
		delete(want, img.Name)
	}
	if len(want) != 0 {
		t.Fatalf("images: %+v; missing %v", imgs, want)
	}
	if table := e.must("images"); !strings.Contains(table, "sigstoreSigned "+pubC) {
		t.Fatalf("images does not show the verification:\n%s", table)
	}
	var info []struct {
		Verification struct {
			Scope string `json:"scope"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(e.must("inspect", "--type", "image", r.host+"/cosign/signed:v1")), &info); err != nil {
		t.Fatal(err)
	}
	if len(info) != 1 || info[0].Verification.Scope != "docker:"+r.host+"/cosign" {
		t.Fatalf("inspect --type image: %+v", info)
	}
}
