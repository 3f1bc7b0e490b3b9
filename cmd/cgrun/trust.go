package main

import (
	"github.com/urfave/cli/v2"
)

// Flags of the commands that reach registries, as Podman names them.
const (
	flagSignaturePolicy = "signature-policy"
	flagRegistriesD     = "registries.d"
	flagAuthFile        = "authfile"
	flagCertDir         = "cert-dir"
	flagTLSVerify       = "tls-verify"
)

const catRegistry = "Registry"

// The containers tools' names (package image/trust's AuthFileEnv and
// DefaultPolicyPath; a test keeps them equal), for the help of a cgrun
// built without that package.
const (
	authFileEnv       = "REGISTRY_AUTH_FILE"
	defaultPolicyPath = "/etc/containers/policy.json"
)

// The hidden commands of cgrun-registry that a cgrun built with
// cgrun_registry_helper runs: the check of the registry flags, and a pull
// into the image store; their error comes back on the descriptor
// helperErrFDEnv names.
const (
	helperCheck    = "registry-check"
	helperPull     = "registry-pull"
	helperErrFDEnv = "_CGRUN_REGISTRY_ERRFD"
)

// registryFlags reach a registry: credentials, certificates, TLS.
func registryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagAuthFile, Usage: "credential file (default $" + authFileEnv + ", then ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.docker/config.json)", Category: catRegistry},
		&cli.StringFlag{Name: flagCertDir, Usage: "CA (*.crt) and client (*.cert, *.key) files, instead of /etc/containers/certs.d/HOST:PORT", Category: catRegistry},
		&cli.BoolFlag{Name: flagTLSVerify, Value: true, Usage: "verify the registry's certificate and refuse plain HTTP (false: neither)", Category: catRegistry},
	}
}

// pullFlags are registryFlags and the signature policy, for the commands
// that copy images in.
func pullFlags() []cli.Flag {
	return append(registryFlags(),
		&cli.StringFlag{Name: flagSignaturePolicy, Usage: "containers-policy.json(5) the image must satisfy (default " + defaultPolicyPath + ")", Category: catRegistry},
		&cli.StringFlag{Name: flagRegistriesD, Usage: "registries.d(5) directory: where signatures are looked up (default /etc/containers/registries.d)", Category: catRegistry},
	)
}

func loginCommand() *cli.Command {
	return &cli.Command{
		Name:      "login",
		Usage:     "store a registry's credentials where pull and run (and Podman and Docker) read them",
		ArgsUsage: "REGISTRY",
		Flags: append(registryFlags(),
			&cli.StringFlag{Name: "username", Aliases: []string{"u"}, Usage: "user name (asked for on a terminal when missing)"},
			&cli.BoolFlag{Name: "password-stdin", Usage: "read the password from stdin"},
			&cli.StringFlag{Name: "password", Aliases: []string{"p"}, Hidden: true, Usage: "refused: a password in argv is readable by every user"},
			&cli.BoolFlag{Name: "get-login", Usage: "print the user logged in to REGISTRY"},
		),
		Action: loginAction,
	}
}

func logoutCommand() *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     "remove a registry's stored credentials",
		ArgsUsage: "REGISTRY",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagAuthFile, Usage: "credential file (default $" + authFileEnv + ", then the containers tools' default)"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove every registry's credentials from the file"},
		},
		Action: logoutAction,
	}
}
