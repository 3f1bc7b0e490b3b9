package trust

import (
	"os"

	"go.podman.io/image/v5/types"
)

// DefaultPolicyPath is the system policy, as containers-policy.json(5)
// names it.
const DefaultPolicyPath = "/etc/containers/policy.json"

// AuthFileEnv names the credential file in place of the defaults, as
// Podman and skopeo read it.
const AuthFileEnv = "REGISTRY_AUTH_FILE"

// Options say where the policy, the credentials and the certificates are.
// The zero value reads the system's defaults.
type Options struct {
	// PolicyPath is the signature policy. Empty: the user's
	// $XDG_CONFIG_HOME/containers/policy.json, then DefaultPolicyPath;
	// when neither exists no policy applies (images are accepted as
	// Docker accepts them, and recorded as unverified). A path given here
	// must exist.
	PolicyPath string
	// RegistriesDir holds registries.d(5) files: where signatures are
	// looked up (default /etc/containers/registries.d).
	RegistriesDir string
	// RegistriesConf is registries.conf(5) (default: its own lookup,
	// $CONTAINERS_REGISTRIES_CONF included); it lists insecure registries.
	RegistriesConf string
	// AuthFile is the credential file (default $REGISTRY_AUTH_FILE, then
	// the containers tools' lookup).
	AuthFile string
	// CertDir holds the CA (*.crt) and client (*.cert, *.key) files for
	// every registry, in place of the per-registry certs.d directories.
	CertDir string
	// SkipTLSVerify turns TLS verification off and allows plain HTTP, as
	// --tls-verify=false does.
	SkipTLSVerify bool
}

// SystemContext is the containers/image context of o.
func (o Options) SystemContext() *types.SystemContext {
	sys := &types.SystemContext{
		RegistriesDirPath:        o.RegistriesDir,
		SystemRegistriesConfPath: o.RegistriesConf,
		AuthFilePath:             o.AuthFile,
		DockerCertPath:           o.CertDir,
	}
	if sys.AuthFilePath == "" {
		sys.AuthFilePath = os.Getenv(AuthFileEnv)
	}
	if o.SkipTLSVerify {
		sys.DockerInsecureSkipTLSVerify = types.OptionalBoolTrue
	}
	return sys
}
