package spec

import (
	"errors"
	"fmt"
)

// FlagError says which flag got which value and the rule the value broke.
// Its text is the one line cgrun prints: invalid --FLAG "VALUE": RULE.
type FlagError struct {
	Flag  string // long flag name without dashes, e.g. "memory-swap"
	Value string // the value as given (or as formatted from Options)
	Rule  string // what the value must be
	Err   error  // the underlying cause, if any
}

func (e *FlagError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", dashed(e.Flag), e.Value, e.Rule)
}

func (e *FlagError) Unwrap() error { return e.Err }

// dashed writes a flag name as typed on a command line: -m, --memory.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// ErrUnsupported marks a flag cgrun accepts by name but refuses to honour.
var ErrUnsupported = errors.New("unsupported")

// ErrSyntax marks a value that does not parse.
var ErrSyntax = errors.New("invalid syntax")

// ErrRange marks a value outside of its allowed range.
var ErrRange = errors.New("out of range")

// ErrNotBlockDevice marks a device path that is not a block device.
var ErrNotBlockDevice = errors.New("not a block device")

// ruleError is the error a typed value's Set returns: the rule alone; the
// flag parser adds the flag's name and the value.
type ruleError struct {
	rule string
	err  error
}

func (e *ruleError) Error() string { return e.rule }
func (e *ruleError) Unwrap() error { return e.err }

func rulef(err error, format string, a ...any) error {
	return &ruleError{rule: fmt.Sprintf(format, a...), err: err}
}
