package main

import (
	"strings"
	"testing"
)

// FuzzSpecArgv: no input to `cgrun spec` panics; it prints a spec (0) or
// refuses with one line (125).
func FuzzSpecArgv(f *testing.F) {
	for _, s := range []string{"-m 100M", "--memory-swap 50m -m 100m", "--cpus 1.5 --cpu-quota 1000", "--cpuset-cpus 0-1,", "--device-read-bps /dev/null:1mb", "-c", "--oom-kill-disable=x",
		"--ulimit nofile=1:2", "--tmpfs /t:size=1m", "--sysctl net.ipv4.ip_forward=1", "--device-cgroup-rule c_1:3_r", "--cap-add ALL --cap-drop chown",
		"--security-opt seccomp=unconfined", "--pid host", "--annotation a=b", "--memory-priority 13", "--cpu-rt-runtime 5 --cpu-rt-period 1000"} {
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

// FuzzInterspersed: the argument reorder never panics, keeps every word,
// and is stable (reordering its result changes nothing).
func FuzzInterspersed(f *testing.F) {
	for _, s := range []string{"rm a -f", "volume create d --size 1G", "--root /r stop -t 3 c", "run --rm img -x", "network rm -- -x", "update c -m -1"} {
		f.Add(s)
	}
	app := newApp()
	f.Fuzz(func(t *testing.T, s string) {
		argv := append([]string{"cgrun"}, strings.Fields(s)...)
		out := interspersed(app, argv)
		if len(out) != len(argv) {
			t.Fatalf("%q -> %q: words lost or added", argv, out)
		}
		count := map[string]int{}
		for _, w := range argv {
			count[w]++
		}
		for _, w := range out {
			count[w]--
		}
		for w, n := range count {
			if n != 0 {
				t.Fatalf("%q -> %q: %q moved in or out", argv, out, w)
			}
		}
		if again := interspersed(app, out); strings.Join(again, " ") != strings.Join(out, " ") {
			t.Fatalf("%q -> %q -> %q: not stable", argv, out, again)
		}
	})
}
