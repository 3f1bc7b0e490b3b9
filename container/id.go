package container

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"sync"
)

// ShortIDLen is how many characters of an ID ps and run -d print.
const ShortIDLen = 12

// Compiled on first use, not in every container's init.
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

// NewID returns a random 64-character hexadecimal container ID.
func NewID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("container ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// ShortID is the first ShortIDLen characters of id.
func ShortID(id string) string {
	if len(id) > ShortIDLen {
		return id[:ShortIDLen]
	}
	return id
}

// ValidateName checks a user-given container name.
func ValidateName(name string) error {
	if !nameRE().MatchString(name) || len(name) > 128 {
		return fmt.Errorf("%w %q: must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)", ErrInvalidName, name)
	}
	return nil
}
