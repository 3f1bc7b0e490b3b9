package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// Exit codes as Docker's: 125 for cgrun's own errors, 126 when the command
// cannot be invoked, 127 when it is not found; otherwise the container
// process's own code, 128+N after signal N.
const (
	exitCgrunError  = 125
	exitCannotRun   = 126
	exitNotFound    = 127
	exitSignalFloor = 128
)

// exitCodeError ends cgrun with a code and no message of cgrun's own: the
// container's process already said what it had to say.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// withCode ends cgrun with code after printing err as one line.
type codedError struct {
	code int
	err  error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// runApp runs the app on argv and turns its error into an exit code,
// printing one line "cgrun: ..." for cgrun's own errors.
func runApp(app *cli.App, argv []string, stderr io.Writer) int {
	app.ErrWriter = stderr
	err := app.Run(argv)
	if err == nil {
		return 0
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	code := exitCgrunError
	var ce codedError
	if errors.As(err, &ce) {
		code = ce.code
	}
	fmt.Fprintf(stderr, "cgrun: %s\n", oneLine(err.Error()))
	return code
}

// setUsageErrors makes flag-parse errors of the app and of every command
// return as errors (exit 125, one line) instead of printing the usage.
func setUsageErrors(app *cli.App) {
	onUsage := func(_ *cli.Context, err error, _ bool) error { return err }
	app.OnUsageError = onUsage
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			c.OnUsageError = onUsage
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
}

func oneLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
