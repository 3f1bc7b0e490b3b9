package blkio

import (
	"strings"
	"testing"
)

func FuzzParseScheduler(f *testing.F) {
	for _, s := range []string{"[none] mq-deadline kyber bfq \n", "bfq", "[]", "[bfq] [none]", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScheduler(strings.NewReader(s))
		if err != nil {
			return
		}
		if sc.Active == "" {
			t.Fatalf("ParseScheduler(%q) gave no active scheduler", s)
		}
		found := false
		for _, a := range sc.Available {
			found = found || a == sc.Active
		}
		if !found {
			t.Fatalf("ParseScheduler(%q): active %q not among %q", s, sc.Active, sc.Available)
		}
	})
}
