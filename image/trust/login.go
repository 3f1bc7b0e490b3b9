package trust

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/docker/config"
)

// ErrBadCredentials is wrapped by the error of a login the registry
// refused.
var ErrBadCredentials = errors.New("invalid username or password")

// ErrNotLoggedIn is wrapped by the error of a logout from a registry with
// no stored credentials.
var ErrNotLoggedIn = config.ErrNotLoggedIn

// Login checks username and password against registry (HOST[:PORT], or a
// repository in it) and stores them where o says (AuthFile, or the
// containers tools' default, or the credential helper the file names for
// registry). It returns where they were stored. The password never
// appears in an error.
func (o Options) Login(ctx context.Context, registry, username, password string) (string, error) {
	sys := o.SystemContext()
	host, _, _ := strings.Cut(registry, "/")
	if err := docker.CheckAuth(ctx, sys, username, password, host); err != nil {
		var bad docker.ErrUnauthorizedForCredentials
		if errors.As(err, &bad) {
			return "", fmt.Errorf("login to %s as %s: %w", registry, username, ErrBadCredentials)
		}
		return "", fmt.Errorf("login to %s: %s", registry, strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), password, "***")), " "))
	}
	where, err := config.SetCredentials(sys, registry, username, password)
	if err != nil {
		return "", fmt.Errorf("store credentials of %s: %w", registry, err)
	}
	if where == "" {
		where = o.authFileDescription()
	}
	return where, nil
}

// Logout removes the stored credentials of registry.
func (o Options) Logout(registry string) error {
	if err := config.RemoveAuthentication(o.SystemContext(), registry); err != nil {
		if errors.Is(err, config.ErrNotLoggedIn) {
			return fmt.Errorf("%w to %s", ErrNotLoggedIn, registry)
		}
		return fmt.Errorf("logout from %s: %w", registry, err)
	}
	return nil
}

// LogoutAll removes every stored credential of the file o writes.
func (o Options) LogoutAll() error {
	return config.RemoveAllAuthentication(o.SystemContext())
}

// LoggedIn returns the user whose credentials are stored for registry, or
// ErrNotLoggedIn.
func (o Options) LoggedIn(registry string) (string, error) {
	auth, err := config.GetCredentials(o.SystemContext(), registry)
	user := auth.Username
	if err == nil && user == "" {
		err = config.ErrNotLoggedIn
	}
	if err != nil {
		if errors.Is(err, config.ErrNotLoggedIn) {
			return "", fmt.Errorf("%w to %s", ErrNotLoggedIn, registry)
		}
		return "", err
	}
	return user, nil
}

func (o Options) authFileDescription() string {
	if f := o.SystemContext().AuthFilePath; f != "" {
		return f
	}
	return "the default credential file"
}
