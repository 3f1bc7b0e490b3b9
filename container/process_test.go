package container

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
)

func TestClassifyStartError(t *testing.T) {
	cases := []struct {
		msg  string
		want int
	}{
		{`unable to start container process: exec: "nosuch": executable file not found in $PATH`, 127},
		{`unable to start container process: exec: "/no/such": stat /no/such: no such file or directory`, 127},
		{`unable to start container process: exec: "/etc/passwd": permission denied`, 126},
		{`unable to start container process: exec: "/tmp": is a directory`, 126},
		{`unable to start container process: error during container init: error mounting "proc": no such file or directory`, 125},
	}
	for _, tc := range cases {
		if got := classifyStartError(errors.New(tc.msg)); got.Code != tc.want {
			t.Errorf("%q: want %d, got %d", tc.msg, tc.want, got.Code)
		}
	}
}

func TestExitOf(t *testing.T) {
	cases := []struct {
		script string
		want   Exit
	}{
		{"exit 0", Exit{Code: 0}},
		{"exit 3", Exit{Code: 3}},
		{"kill -TERM $$", Exit{Code: 143, Signal: syscall.SIGTERM}},
		{"kill -KILL $$", Exit{Code: 137, Signal: syscall.SIGKILL}},
	}
	for _, tc := range cases {
		cmd := exec.Command("/bin/sh", "-c", tc.script)
		_ = cmd.Run()
		if got := exitOf(cmd.ProcessState); got != tc.want {
			t.Errorf("%s: want %+v, got %+v", tc.script, tc.want, got)
		}
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"web", "a.b-c_d", "X1"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "a/b", "a b", ".."} {
		if err := ValidateName(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("%q: want ErrInvalidName, got %v", bad, err)
		}
	}
}
