//go:build !cgrun_registry_helper

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/containerd/console"
	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/image/trust"
)

// This build reaches registries itself: it is the whole cgrun (`go build
// ./cmd/cgrun`), and cgrun-registry, which a cgrun built with the tag
// cgrun_registry_helper executes for what reaches registries.

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

// helperCommands are what a cgrun built with cgrun_registry_helper runs in
// this build (installed as cgrun-registry) for its pulls: hidden, never
// typed by hand.
func helperCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:   helperCheck,
			Hidden: true,
			Flags:  pullFlags(),
			Action: helperAction(func(c *cli.Context) error {
				_, err := trustOptions(c)
				return err
			}),
		},
		{
			Name:      helperPull,
			Hidden:    true,
			ArgsUsage: "REFERENCE [NAME]",
			Flags:     append(pullFlags(), &cli.BoolFlag{Name: "quiet", Usage: "name only the layers copied"}),
			Action:    helperAction(helperPullAction),
		},
	}
}

func helperPullAction(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return fmt.Errorf("%q needs a reference and an optional NAME", helperPull)
	}
	ref, err := image.ParseReference(c.Args().First())
	if err != nil {
		return err
	}
	st, err := openImageStore(c)
	if err != nil {
		return err
	}
	_, err = st.Pull(c.Context, ref, c.Args().Get(1), newPullProgress(c.App.ErrWriter, c.Bool("quiet")))
	return err
}

// helperAction writes f's error, one line as runApp prints it, on the
// descriptor the calling cgrun named, and ends with its exit code.
func helperAction(f cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		fd, aerr := strconv.Atoi(os.Getenv(helperErrFDEnv))
		if aerr == nil && fd >= 3 {
			// not for the credential helpers this process may run: the
			// caller reads until every holder closed it
			syscall.CloseOnExec(fd)
		}
		err := f(c)
		if err == nil {
			return nil
		}
		if aerr != nil || fd < 3 {
			return err
		}
		w := os.NewFile(uintptr(fd), "errors")
		fmt.Fprintln(w, oneLine(errorText(err)))
		_ = w.Close()
		return exitCodeError{code: exitCode(err)}
	}
}

// registryArg is a REGISTRY argument without the docker:// a user may
// copy from an image reference.
func registryArg(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(s, "docker://"), "/")
}

// probeRegistry: this build reaches registries itself.
func probeRegistry() registrySupport { return registrySupport{Usable: true} }
