//go:build cgrun_registry_helper

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/internal/beside"
)

// This build (bin/cgrun, `make build`) keeps the registry and signature
// code (containers/image, its reference grammars, sigstore's protobuf
// descriptors, TOML, OpenPGP) out of its binary: their package inits and
// page faults were half of every cgrun process's start, container starts
// and `update` included. What reaches registries runs in cgrun-registry,
// installed beside cgrun (the same command built without the tag): login,
// logout and pull as a whole, and the copy of an image into the store for
// run, create and image import.

// registryHelperName is the helper's file name, beside cgrun's binary.
const registryHelperName = "cgrun-registry"

// registryHelper is the helper's path, when it is fit to run: a regular
// executable file that only its owner (root or this user) may write, as
// cgrun-init must be.
func registryHelper() (string, error) {
	p, err := beside.Binary(registryHelperName)
	switch {
	case errors.Is(err, beside.ErrUnfit):
		return "", fmt.Errorf("%s: %w", p, err)
	case err != nil:
		return "", fmt.Errorf("%s: pulls, login and logout run it, and it is not beside cgrun (make build installs it): %w", p, err)
	}
	return p, nil
}

// execHelper replaces this process with the helper on the same command
// line: its output, prompts, exit code and signals are the command's.
func execHelper() error {
	p, err := registryHelper()
	if err != nil {
		return err
	}
	argv := append([]string{os.Args[0]}, os.Args[1:]...)
	return fmt.Errorf("%s: %w", p, syscall.Exec(p, argv, os.Environ()))
}

func loginAction(*cli.Context) error  { return execHelper() }
func logoutAction(*cli.Context) error { return execHelper() }

// probeRegistry is the helper that pulls, login and logout run, or why
// there is none (cgrun check).
func probeRegistry() registrySupport {
	p, err := registryHelper()
	if err != nil {
		return registrySupport{Reason: err.Error()}
	}
	return registrySupport{Binary: p, Usable: true}
}

// helperCommands: this build runs the helper's, it has none.
func helperCommands() []*cli.Command { return nil }

// registryArgs are the registry and policy flags of c as given, for the
// helper.
func registryArgs(c *cli.Context) []string {
	var args []string
	for _, f := range []string{flagAuthFile, flagCertDir, flagTLSVerify, flagSignaturePolicy, flagRegistriesD} {
		switch {
		case !c.IsSet(f):
		case f == flagTLSVerify:
			args = append(args, fmt.Sprintf("--%s=%t", f, c.Bool(f)))
		default:
			args = append(args, "--"+f+"="+c.String(f))
		}
	}
	return args
}

// runHelper runs the helper's hidden command with args; the helper's
// stderr is this process's (progress), its error comes back as the error.
func runHelper(ctx context.Context, args ...string) error {
	p, err := registryHelper()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Args[0] = os.Args[0]
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(os.Environ(), helperErrFDEnv+"=3")
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	var msg bytes.Buffer
	_, _ = msg.ReadFrom(r)
	err = cmd.Wait()
	if err == nil {
		return nil
	}
	if m := strings.TrimSpace(msg.String()); m != "" {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() != exitCgrunError {
			return codedError{code: ee.ExitCode(), err: errors.New(m)}
		}
		return errors.New(m)
	}
	return fmt.Errorf("%s: %w", p, err)
}

// imageOptions give the image store its copier: the helper. The registry
// and policy flags are checked first, by the helper, before anything is
// created.
func imageOptions(c *cli.Context) ([]image.Option, error) {
	flags := registryArgs(c)
	if len(flags) > 0 {
		if err := runHelper(c.Context, append([]string{helperCheck}, flags...)...); err != nil {
			return nil, err
		}
	}
	quiet := c.Command != nil && (c.Command.Name == "run" || c.Command.Name == "create")
	var args []string
	if store := c.String(flagImageStore); store != "" {
		args = append(args, "--"+flagImageStore+"="+store)
	}
	return []image.Option{image.WithCopier(func(ctx context.Context, ref image.Reference, name string, _ image.Progress) error {
		args := append(args[:len(args):len(args)], helperPull)
		if quiet {
			args = append(args, "--quiet")
		}
		args = append(append(args, flags...), ref.Arg())
		if name != ref.String() { // the store names images by their reference
			args = append(args, name)
		}
		return runHelper(ctx, args...)
	})}, nil
}
