package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/console"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/image/trust"
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

// registryFlags reach a registry: credentials, certificates, TLS.
func registryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagAuthFile, Usage: "credential file (default $" + trust.AuthFileEnv + ", then ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.docker/config.json)", Category: catRegistry},
		&cli.StringFlag{Name: flagCertDir, Usage: "CA (*.crt) and client (*.cert, *.key) files, instead of /etc/containers/certs.d/HOST:PORT", Category: catRegistry},
		&cli.BoolFlag{Name: flagTLSVerify, Value: true, Usage: "verify the registry's certificate and refuse plain HTTP (false: neither)", Category: catRegistry},
	}
}

// pullFlags are registryFlags and the signature policy, for the commands
// that copy images in.
func pullFlags() []cli.Flag {
	return append(registryFlags(),
		&cli.StringFlag{Name: flagSignaturePolicy, Usage: "containers-policy.json(5) the image must satisfy (default " + trust.DefaultPolicyPath + ")", Category: catRegistry},
		&cli.StringFlag{Name: flagRegistriesD, Usage: "registries.d(5) directory: where signatures are looked up (default /etc/containers/registries.d)", Category: catRegistry},
	)
}

// trustOptions are the registry and policy flags of c, checked; a command
// without them reads the system's defaults.
func trustOptions(c *cli.Context) (trust.Options, error) {
	o := trust.Options{
		PolicyPath:    c.String(flagSignaturePolicy),
		RegistriesDir: c.String(flagRegistriesD),
		AuthFile:      c.String(flagAuthFile),
		CertDir:       c.String(flagCertDir),
		SkipTLSVerify: c.IsSet(flagTLSVerify) && !c.Bool(flagTLSVerify),
	}
	if o.PolicyPath != "" {
		if err := trust.CheckPolicy(o.PolicyPath); err != nil {
			return o, fmt.Errorf("--%s %q: %w", flagSignaturePolicy, o.PolicyPath, err)
		}
	}
	for flag, dir := range map[string]string{flagCertDir: o.CertDir, flagRegistriesD: o.RegistriesDir} {
		if dir == "" {
			continue
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return o, fmt.Errorf("--%s %q: must be a directory", flag, dir)
		}
	}
	return o, nil
}

// imageOptions give the image store the registry transport, credentials
// and signature policy of c.
func imageOptions(c *cli.Context) ([]image.Option, error) {
	o, err := trustOptions(c)
	if err != nil {
		return nil, err
	}
	return []image.Option{
		image.WithRemoteOptions(o.RemoteOptions()...),
		image.WithVerifier(o),
		image.WithInsecure(func(registry string) bool {
			ok, err := o.Insecure(registry)
			return err == nil && ok
		}),
	}, nil
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

func loginAction(c *cli.Context) error {
	if c.IsSet("password") {
		return errors.New("--password: refused, a password on the command line is readable by every user of this host; pipe it to --password-stdin")
	}
	if c.NArg() != 1 {
		return errors.New(`"login" needs exactly one REGISTRY`)
	}
	registry := registryArg(c.Args().First())
	o, err := trustOptions(c)
	if err != nil {
		return err
	}
	if c.Bool("get-login") {
		user, err := o.LoggedIn(registry)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, user)
		return nil
	}
	user := c.String("username")
	var password string
	in := os.Stdin
	tty, _ := console.ConsoleFromFile(in)
	switch {
	case c.Bool("password-stdin"):
		if user == "" {
			return errors.New("--username: needed with --password-stdin")
		}
		b, err := io.ReadAll(io.LimitReader(in, 1<<20))
		if err != nil {
			return fmt.Errorf("--password-stdin: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	case tty == nil:
		return errors.New("--password-stdin: needed when stdin is not a terminal")
	default:
		r := bufio.NewReader(in)
		if user == "" {
			fmt.Fprint(c.App.ErrWriter, "Username: ")
			line, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("username: %w", err)
			}
			user = strings.TrimSpace(line)
		}
		fmt.Fprint(c.App.ErrWriter, "Password: ")
		if err := tty.DisableEcho(); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		_ = tty.Reset()
		fmt.Fprintln(c.App.ErrWriter)
		if err != nil {
			return fmt.Errorf("password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if user == "" || password == "" {
		return errors.New("login: the user name and the password must not be empty")
	}
	if _, err := o.Login(c.Context, registry, user, password); err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, "Login Succeeded")
	return nil
}

func logoutCommand() *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     "remove a registry's stored credentials",
		ArgsUsage: "REGISTRY",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagAuthFile, Usage: "credential file (default $" + trust.AuthFileEnv + ", then the containers tools' default)"},
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove every registry's credentials from the file"},
		},
		Action: logoutAction,
	}
}

func logoutAction(c *cli.Context) error {
	o, err := trustOptions(c)
	if err != nil {
		return err
	}
	if c.Bool("all") {
		if c.NArg() != 0 {
			return errors.New("--all: takes no REGISTRY")
		}
		if err := o.LogoutAll(); err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, "Removed login credentials for all registries")
		return nil
	}
	if c.NArg() != 1 {
		return errors.New(`"logout" needs exactly one REGISTRY (or --all)`)
	}
	registry := registryArg(c.Args().First())
	if err := o.Logout(registry); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "Removed login credentials for %s\n", registry)
	return nil
}

// registryArg is a REGISTRY argument without the docker:// a user may
// copy from an image reference.
func registryArg(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(s, "docker://"), "/")
}
