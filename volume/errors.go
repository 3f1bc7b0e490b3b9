package volume

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. Every error of the package wraps one of them (errors.Is).
var (
	// ErrInvalid: a volume definition or argument breaks a rule.
	ErrInvalid = errors.New("invalid volume definition")
	// ErrNotFound: no such volume, record, session or target.
	ErrNotFound = errors.New("not found")
	// ErrExists: a volume of that name is already registered.
	ErrExists = errors.New("already exists")
	// ErrInUse: the volume is used by another container or initiator.
	ErrInUse = errors.New("in use")
	// ErrLoginRefused: the target refused the login (LUN masking, error 19).
	ErrLoginRefused = errors.New("iSCSI login refused by the target")
	// ErrAuth: CHAP authentication failed (error 24).
	ErrAuth = errors.New("iSCSI CHAP authentication failed")
	// ErrUnreachable: the portal did not answer.
	ErrUnreachable = errors.New("iSCSI portal unreachable")
	// ErrDeviceTimeout: the disk did not appear behind the session in time.
	ErrDeviceTimeout = errors.New("disk did not appear")
	// ErrIdentity: the disk behind the LUN is not the one recorded.
	ErrIdentity = errors.New("disk identity mismatch")
	// ErrUnsafeFormat: the disk holds a partition table or unknown data.
	ErrUnsafeFormat = errors.New("refusing to format")
	// ErrBlankReadOnly: a blank disk was asked read-only.
	ErrBlankReadOnly = errors.New("blank disk asked read-only")
	// ErrFsck: the filesystem check found errors it could not fix.
	ErrFsck = errors.New("filesystem check failed")
	// ErrCommand: an external tool failed.
	ErrCommand = errors.New("command failed")
	// ErrSecret: a CHAP secret file is unreadable or too open.
	ErrSecret = errors.New("bad secret file")
	// ErrMultipath: dm-multipath is not usable here or refused a map.
	ErrMultipath = errors.New("dm-multipath")
)

// UsersError is an attach refused because other users hold the volume and
// not all of them, old and new, are read-only. It is an ErrInUse.
type UsersError struct {
	Volume string
	Users  []string // the users holding it, sorted
}

func (e *UsersError) Error() string {
	return fmt.Sprintf("volume %q is used by %v: %v (only read-only users may share a volume)", e.Volume, e.Users, ErrInUse)
}

// Unwrap makes every UsersError an ErrInUse.
func (e *UsersError) Unwrap() error { return ErrInUse }

// ExitError is a failed external command. Args and Output are already
// redacted: they never hold a secret.
type ExitError struct {
	Cmd    string // name and redacted args
	Code   int    // exit code; -1 when the command did not run
	Output string // redacted stderr (stdout when stderr is empty), trimmed
	Err    error  // the underlying error (redacted text)
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit %d", e.Cmd, e.Code)
	if e.Code < 0 && e.Err != nil {
		msg = fmt.Sprintf("%s: %v", e.Cmd, e.Err)
	}
	if e.Output != "" {
		msg += ": " + e.Output
	}
	return msg
}

// Unwrap makes every ExitError an ErrCommand.
func (e *ExitError) Unwrap() error { return ErrCommand }

// ExitCode returns the exit code of err's ExitError, or -1.
func ExitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return -1
}

// redact replaces every secret in s by "***".
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
}
