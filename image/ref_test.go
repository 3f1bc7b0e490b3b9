package image

import (
	"errors"
	"strings"
	"testing"
)

func TestParseReference(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in        string
		transport Transport
		path, tag string
		str       string
		wantErr   bool
	}{
		{in: "oci:/img/layout:latest", transport: TransportLayout, path: "/img/layout", tag: "latest", str: "oci:/img/layout:latest"},
		{in: "oci:/img/layout", transport: TransportLayout, path: "/img/layout", str: "oci:/img/layout"},
		{in: "oci:/a:b/layout", transport: TransportLayout, path: "/a:b/layout", str: "oci:/a:b/layout"},
		{in: "oci-archive:/x/img.tar:v1", transport: TransportArchive, path: "/x/img.tar", tag: "v1", str: "oci-archive:/x/img.tar:v1"},
		{in: "docker://127.0.0.1:5000/test/img:v2", transport: TransportRegistry, str: "127.0.0.1:5000/test/img:v2"},
		{in: "docker://127.0.0.1:5000/img", transport: TransportRegistry, str: "127.0.0.1:5000/img:latest"},
		{in: "docker://reg.example/img@sha256:" + sixtyFour, transport: TransportRegistry, str: "reg.example/img@sha256:" + sixtyFour},
		{in: "busybox:latest", transport: TransportStore, str: "busybox:latest"},
		{in: "", wantErr: true},
		{in: "oci:", wantErr: true},
		{in: "oci:/dir:", wantErr: true},
		{in: "docker://UPPER/Case", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			t.Parallel()
			r, err := ParseReference(c.in)
			if c.wantErr {
				if !errors.Is(err, ErrBadReference) {
					t.Fatalf("ParseReference(%q) = %+v, %v; want ErrBadReference", c.in, r, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Transport != c.transport || r.Path != c.path || r.Tag != c.tag || r.String() != c.str {
				t.Fatalf("ParseReference(%q) = %+v (%s), want transport %d path %q tag %q string %q",
					c.in, r, r, c.transport, c.path, c.tag, c.str)
			}
		})
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"oci:/a:b", "oci-archive:x.tar", "docker://r/n:t", "name", "oci::", "oci::/", "oci:/a/b:c/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		// The canonical form parses to the same reference.
		r2, err := ParseReference(canonicalArg(r))
		if err != nil || r2.String() != r.String() {
			t.Fatalf("%q -> %q -> %q, %v", s, r.String(), r2.String(), err)
		}
	})
}

// canonicalArg is r as a `cgrun run` argument.
func canonicalArg(r Reference) string {
	if r.Transport == TransportRegistry {
		return prefixRegistry + r.String()
	}
	return r.String()
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"x", "db:1", "library/alpine:3.19", "localhost:5000/team/app:v1.2", "reg.example.org/a-b/c_d.e"} {
		if err := ValidName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "../../x", "/abs", "a/../b", "A", "a//b", "a:", "-a", "a b", "a\nb", strings.Repeat("a", 256)} {
		if err := ValidName(bad); !errors.Is(err, ErrBadReference) {
			t.Errorf("%q accepted (%v)", bad, err)
		}
	}
}

// Arg reads back as the reference it came from, and names it as String
// does in the store.
func TestReferenceArgRoundTrip(t *testing.T) {
	for _, s := range []string{
		"docker://127.0.0.1:5000/cgrun/test:v1",
		"docker://busybox",
		"docker://registry.example/ns/app@sha256:" + strings.Repeat("ab", 32),
		"oci:/tmp/layout:v1",
		"oci-archive:/tmp/a.tar",
		"oci:/tmp/dir:with:colons/",
		"name:tag",
	} {
		r, err := ParseReference(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		back, err := ParseReference(r.Arg())
		if err != nil {
			t.Fatalf("%s: Arg %q: %v", s, r.Arg(), err)
		}
		if back.Transport != r.Transport || back.String() != r.String() {
			t.Errorf("%s: Arg %q reads back as %v %q, want %v %q", s, r.Arg(), back.Transport, back.String(), r.Transport, r.String())
		}
	}
}
