package volume

import (
	"fmt"
	"os"
	"strings"
	"unicode"
)

// ReadSecret reads a CHAP secret from a file that only its owner can read
// (no group or other permission bits). Trailing newlines are dropped. The
// error never holds the secret.
func ReadSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSecret, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSecret, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w %s: mode %04o, must not be readable by group or others (chmod 600)", ErrSecret, path, st.Mode().Perm())
	}
	b := make([]byte, 257)
	n, _ := f.Read(b)
	if n > 256 {
		return "", fmt.Errorf("%w %s: longer than 256 bytes", ErrSecret, path)
	}
	s := strings.TrimRight(string(b[:n]), "\r\n")
	if len(s) < 12 || len(s) > 16*1024 {
		return "", fmt.Errorf("%w %s: a CHAP secret must be 12 to 256 characters", ErrSecret, path)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "", fmt.Errorf("%w %s: a CHAP secret must be printable with no blanks", ErrSecret, path)
		}
	}
	return s, nil
}
