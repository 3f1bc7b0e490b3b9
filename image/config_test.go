package image

import (
	"slices"
	"testing"
)

func TestProcessArgs(t *testing.T) {
	t.Parallel()
	p := Process{Entrypoint: []string{"/bin/ep"}, Cmd: []string{"-x"}}
	cases := []struct {
		name  string
		p     Process
		ep    []string
		epSet bool
		args  []string
		want  []string
	}{
		{name: "image only", p: p, want: []string{"/bin/ep", "-x"}},
		{name: "args replace cmd", p: p, args: []string{"-y"}, want: []string{"/bin/ep", "-y"}},
		{name: "entrypoint drops cmd", p: p, ep: []string{"/bin/sh"}, epSet: true, want: []string{"/bin/sh"}},
		{name: "entrypoint and args", p: p, ep: []string{"/bin/sh"}, epSet: true, args: []string{"-c", "true"}, want: []string{"/bin/sh", "-c", "true"}},
		{name: "empty entrypoint", p: p, epSet: true, args: []string{"ls"}, want: []string{"ls"}},
		{name: "no entrypoint", p: Process{Cmd: []string{"sh"}}, args: []string{"stress", "--version"}, want: []string{"stress", "--version"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.p.Args(c.ep, c.epSet, c.args); !slices.Equal(got, c.want) {
				t.Fatalf("Args = %q, want %q", got, c.want)
			}
		})
	}
}

func TestProcessMergeEnv(t *testing.T) {
	t.Parallel()
	p := Process{Env: []string{"PATH=/bin", "A=1"}}
	got := p.MergeEnv([]string{"A=2", "B=3"})
	want := []string{"PATH=/bin", "A=2", "B=3"}
	if !slices.Equal(got, want) {
		t.Fatalf("MergeEnv = %q, want %q", got, want)
	}
	if !slices.Equal(p.Env, []string{"PATH=/bin", "A=1"}) {
		t.Fatalf("MergeEnv changed the image's env: %q", p.Env)
	}
}
