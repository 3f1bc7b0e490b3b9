package volume

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
)

// Cmd is one external command. Secrets lists values among Args (or Stdin)
// that must never appear in logs or errors.
type Cmd struct {
	Name    string
	Args    []string
	Stdin   []byte
	Secrets []string
}

// String is the command line with secrets replaced by "***".
func (c Cmd) String() string {
	return redact(strings.TrimSpace(c.Name+" "+strings.Join(c.Args, " ")), c.Secrets)
}

// Runner runs external commands. It returns stdout; a failure is an
// *ExitError carrying the exit code and the redacted output.
type Runner interface {
	Run(ctx context.Context, c Cmd) ([]byte, error)
}

// ExecRunner runs commands with os/exec.
type ExecRunner struct{}

// Run implements Runner.
func (ExecRunner) Run(ctx context.Context, c Cmd) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Name, c.Args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	out := strings.TrimSpace(stderr.String())
	if out == "" {
		out = strings.TrimSpace(stdout.String())
	}
	ee := &ExitError{Cmd: c.String(), Code: -1, Output: redact(oneLine(out), c.Secrets)}
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		ee.Code = xe.ExitCode()
	} else {
		ee.Err = errors.New(redact(err.Error(), c.Secrets))
	}
	return stdout.Bytes(), ee
}

// oneLine joins the lines of s with "; " so errors stay one line.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
