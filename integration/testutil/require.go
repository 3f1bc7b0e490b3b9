// Package testutil holds what the integration tests share: how a missing
// requirement is reported, where the built binaries are, and cleanup helpers.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under CI=true, where a missing
// requirement is a failure instead of a skip: a green CI means the tests ran.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require skips the test (fails it under CI=true) when ok is false. why says
// what is missing, fix the command that provides it.
func Require(t testing.TB, ok bool, why, fix string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("requirement missing under CI=true: %s (run: %s)", why, fix)
	}
	t.Skipf("requirement missing: %s (run: %s)", why, fix)
}

// RequireRoot requires uid 0.
func RequireRoot(t testing.TB) {
	t.Helper()
	Require(t, os.Geteuid() == 0, "these tests need root", "sudo make test")
}

// RequireCommand requires an executable on PATH and returns its path.
func RequireCommand(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	Require(t, err == nil, name+" not on PATH", "apt-get install "+pkg)
	return p
}
