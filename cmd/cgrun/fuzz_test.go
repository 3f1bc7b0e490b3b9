package main

import (
	"strings"
	"testing"
)

// FuzzSpecArgv: no input to `cgrun spec` panics; it prints a spec (0) or
// refuses with one line (125).
func FuzzSpecArgv(f *testing.F) {
	for _, s := range []string{"-m 100M", "--memory-swap 50m -m 100m", "--cpus 1.5 --cpu-quota 1000", "--cpuset-cpus 0-1,", "--device-read-bps /dev/null:1mb", "-c", "--oom-kill-disable=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv := append([]string{"spec"}, strings.Fields(s)...)
		code, _, errs := runArgv(t, argv...)
		switch code {
		case 0:
		case 125:
			if strings.Count(errs, "\n") != 1 {
				t.Fatalf("%q: want one line on stderr, got %q", argv, errs)
			}
		default:
			t.Fatalf("%q: exit %d", argv, code)
		}
	})
}
