package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/network"
	"github.com/cgrun/cgrun/runner"
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
	err := app.Run(interspersed(app, argv))
	if err == nil {
		return 0
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	fmt.Fprintf(stderr, "cgrun: %s\n", oneLine(errorText(err)))
	return exitCode(err)
}

// exitCode is the code cgrun ends with for err: the one it carries
// (codedError), else 125.
func exitCode(err error) int {
	var ce codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	return exitCgrunError
}

// fieldFlags name the flag of each request or configuration field a
// library's *container.FieldError names.
var fieldFlags = map[string]string{
	"Name":         "--name",
	"CgroupParent": "--cgroup-parent",
	"Process.Cwd":  "--workdir",
	"Process.User": "--user",
	"Process.Env":  "--env",
	"Devices":      "--device",
	"Volumes":      "--volume",

	"Network.Mode":       "--network",
	"Network.Ports":      "--publish",
	"Network.ExtraHosts": "--add-host",

	"Process.Init":      "--init",
	"Restart":           "--restart",
	"Sysctls":           "--sysctl",
	"Namespaces.pid":    "--pid",
	"Namespaces.ipc":    "--ipc",
	"Namespaces.uts":    "--uts",
	"Namespaces.cgroup": "--cgroupns",
}

// errorText is err's message in cgrun's words: the libraries name spec
// fields and cgroup resources, cgrun names its flags.
func errorText(err error) string {
	msg := cgroupErrorText(err, err.Error())
	var fe *container.FieldError
	if errors.As(err, &fe) {
		if flag, ok := fieldFlags[fe.Field]; ok {
			msg = strings.Replace(msg, fe.Error(), fmt.Sprintf("invalid %s %q: %v", flag, fe.Value, fe.Err), 1)
		}
	}
	var pe *network.PortError
	if errors.As(err, &pe) {
		msg = strings.Replace(msg, pe.Error(), fmt.Sprintf("invalid --publish %q: %v", pe.Port.String(), pe.Error()), 1)
	}
	if errors.Is(err, runner.ErrNoCommand) && !strings.Contains(msg, "--entrypoint") {
		msg += ": give COMMAND or --entrypoint"
	}
	return msg
}

// durationFlags are the flags that take a duration, for flagParseError.
var durationFlags = map[string]bool{"device-timeout": true}

// setUsageErrors makes flag-parse errors of the app and of every command
// return as errors (exit 125, one line) instead of printing the usage. A
// command without subcommands has no `help`/`h` subcommand: its arguments
// are its own (`cgrun spec h x` is the command "h x", not a help topic
// that exits 3).
func setUsageErrors(app *cli.App) {
	onUsage := func(_ *cli.Context, err error, _ bool) error { return flagParseError(err) }
	app.OnUsageError = onUsage
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			c.OnUsageError = onUsage
			if len(c.Subcommands) == 0 {
				c.HideHelpCommand = true
			}
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

// flagParseError rewrites the flag parser's messages into cgrun's one-line
// form naming the flag, the value and the rule:
//
//	invalid value "1x" for flag -m: RULE   -> invalid -m "1x": RULE
//	invalid boolean value "x" for -NAME: E -> invalid --NAME "x": must be true or false
//	flag needs an argument: -memory        -> --memory needs a value
//	flag provided but not defined: -bogus  -> unknown flag --bogus
//
// Other errors pass unchanged.
func flagParseError(err error) error {
	msg := err.Error()
	for _, p := range []struct{ prefix, mid, rule string }{
		{"invalid value ", " for flag -", ""},
		{"invalid boolean value ", " for -", "must be true or false"},
	} {
		rest, ok := strings.CutPrefix(msg, p.prefix)
		if !ok {
			continue
		}
		quoted, err2 := strconv.QuotedPrefix(rest)
		if err2 != nil {
			return err
		}
		value, _ := strconv.Unquote(quoted)
		rest, ok = strings.CutPrefix(rest[len(quoted):], p.mid)
		if !ok {
			return err
		}
		name, rule, ok := strings.Cut(rest, ": ")
		if !ok {
			return err
		}
		if p.rule != "" {
			rule = p.rule
		}
		if rule == "parse error" { // urfave/cli's words for a number or duration
			rule = "must be a whole number"
			if durationFlags[name] {
				rule = "must be a duration such as 30s or 2m"
			}
		}
		return fmt.Errorf("invalid %s %q: %s", dashed(name), value, rule)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("%s needs a value", dashed(name))
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Errorf("unknown flag %s", dashed(name))
	}
	return err
}

// dashed writes a flag name as typed: -m, --memory.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
