package container

import "testing"

// FuzzParseRestartPolicy: --restart never panics and accepts only the four
// policies, a count only for on-failure.
func FuzzParseRestartPolicy(f *testing.F) {
	for _, s := range []string{"no", "always", "unless-stopped", "on-failure", "on-failure:3", "on-failure:-1", "always:1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRestartPolicy(s)
		if err != nil {
			return
		}
		switch p.Name {
		case "no", "always", "unless-stopped":
			if p.MaxRetries != 0 {
				t.Fatalf("%q: %+v", s, p)
			}
		case "on-failure":
			if p.MaxRetries < 0 {
				t.Fatalf("%q: %+v", s, p)
			}
		default:
			t.Fatalf("%q accepted as %+v", s, p)
		}
	})
}
