package volume

import (
	"context"
	"fmt"
)

// iscsiadm exit codes (open-iscsi's iscsi_err.h) met on the attach path.
const (
	iscsiErrTransTimeout = 8  // connection timed out
	iscsiErrSessExists   = 15 // session already logged in
	iscsiErrFatalLogin   = 19 // non-retryable login failure: tgtd's LUN masking
	iscsiErrNoObjsFound  = 21 // no records / no sessions
	iscsiErrAuthFailed   = 24 // authorization failure: CHAP, LIO's masking
)

// NodeRef names one node record: target IQN, portal (host:port) and iface.
type NodeRef struct {
	IQN    string
	Portal string
	Iface  string
}

func (n NodeRef) args(mode string) []string {
	iface := n.Iface
	if iface == "" {
		iface = "default"
	}
	return []string{"-m", mode, "-T", n.IQN, "-p", n.Portal, "-I", iface}
}

func (n NodeRef) String() string { return n.IQN + " at " + n.Portal }

// Iscsiadm drives open-iscsi, one thin method per iscsiadm verb.
type Iscsiadm struct {
	Runner Runner
	// NodeDir and LockDir are open-iscsi's node records and database
	// lock (DefaultISCSINodeDir, DefaultISCSILockDir): SetRecord writes
	// there rather than passing a secret in iscsiadm's argv.
	NodeDir, LockDir string
}

func (a Iscsiadm) run(ctx context.Context, args []string, secrets ...string) ([]byte, error) {
	return a.Runner.Run(ctx, Cmd{Name: "iscsiadm", Args: args, Secrets: secrets})
}

// NewNode creates the node record (iscsiadm -m node -o new).
func (a Iscsiadm) NewNode(ctx context.Context, n NodeRef) error {
	_, err := a.run(ctx, append(n.args("node"), "-o", "new"))
	return err
}

// Update sets one key of the node record. A secret value never appears in
// an error; it does appear in iscsiadm's argv, which any local user can
// read: secrets go through SetRecord.
func (a Iscsiadm) Update(ctx context.Context, n NodeRef, key, value string, secret bool) error {
	var secrets []string
	if secret {
		secrets = []string{value}
	}
	_, err := a.run(ctx, append(n.args("node"), "-o", "update", "-n", key, "-v", value), secrets...)
	return err
}

// Login logs in; an existing session (exit 15) is success. Refusals map to
// ErrLoginRefused, ErrAuth, ErrUnreachable, ErrNotFound.
func (a Iscsiadm) Login(ctx context.Context, n NodeRef) error {
	_, err := a.run(ctx, append(n.args("node"), "--login"))
	switch ExitCode(err) {
	case -1, 0:
		return err
	case iscsiErrSessExists:
		return nil
	case iscsiErrFatalLogin:
		return fmt.Errorf("login to %s: %w (is this initiator published?): %w", n, ErrLoginRefused, err)
	case iscsiErrAuthFailed:
		return fmt.Errorf("login to %s: %w (or this initiator is not published): %w", n, ErrAuth, err)
	case iscsiErrTransTimeout:
		return fmt.Errorf("login to %s: %w: %w", n, ErrUnreachable, err)
	case iscsiErrNoObjsFound:
		return fmt.Errorf("login to %s: node record %w: %w", n, ErrNotFound, err)
	}
	return fmt.Errorf("login to %s: %w", n, err)
}

// Logout logs the session out; no session (exit 21) is success.
func (a Iscsiadm) Logout(ctx context.Context, n NodeRef) error {
	_, err := a.run(ctx, append(n.args("node"), "--logout"))
	if ExitCode(err) == iscsiErrNoObjsFound {
		return nil
	}
	return err
}

// DeleteNode deletes the node record; no record (exit 21) is success.
func (a Iscsiadm) DeleteNode(ctx context.Context, n NodeRef) error {
	_, err := a.run(ctx, append(n.args("node"), "-o", "delete"))
	if ExitCode(err) == iscsiErrNoObjsFound {
		return nil
	}
	return err
}

// Sessions lists the active sessions (none: exit 21, an empty list).
func (a Iscsiadm) Sessions(ctx context.Context) ([]Session, error) {
	out, err := a.run(ctx, []string{"-m", "session"})
	if ExitCode(err) == iscsiErrNoObjsFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseSessions(bytesReader(out))
}

// Nodes lists the node records (none: exit 21, an empty list).
func (a Iscsiadm) Nodes(ctx context.Context) ([]NodeEntry, error) {
	out, err := a.run(ctx, []string{"-m", "node"})
	if ExitCode(err) == iscsiErrNoObjsFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseNodes(bytesReader(out))
}

// Rescan asks the session to rescan its LUNs.
func (a Iscsiadm) Rescan(ctx context.Context, n NodeRef) error {
	_, err := a.run(ctx, append(n.args("node"), "--rescan"))
	return err
}
