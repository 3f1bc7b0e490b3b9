package image

import (
	"errors"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestChoosePlatform(t *testing.T) {
	t.Parallel()
	d := func(hex string, p *v1.Platform) v1.Descriptor {
		return v1.Descriptor{Digest: v1.Hash{Algorithm: "sha256", Hex: hex}, Platform: p}
	}
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	armv7 := &v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	armv6 := &v1.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}
	attest := &v1.Platform{OS: "unknown", Architecture: "unknown"}
	win := &v1.Platform{OS: "windows", Architecture: "amd64"}
	cases := []struct {
		name string
		ms   []v1.Descriptor
		want v1.Platform
		pick string
		err  bool
	}{
		{name: "amd64 among many", ms: []v1.Descriptor{d("a", arm64), d("b", win), d("c", &amd64), d("d", attest)}, want: amd64, pick: "c"},
		{name: "first of two matches", ms: []v1.Descriptor{d("a", &amd64), d("b", &amd64)}, want: amd64, pick: "a"},
		{name: "variant preferred", ms: []v1.Descriptor{d("a", armv6), d("b", armv7)}, want: *armv7, pick: "b"},
		{name: "other variant taken", ms: []v1.Descriptor{d("a", armv6)}, want: v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, pick: "a"},
		{name: "single without platform", ms: []v1.Descriptor{d("a", nil)}, want: amd64, pick: "a"},
		{name: "no match", ms: []v1.Descriptor{d("a", arm64), d("b", win), d("c", attest)}, want: amd64, err: true},
		{name: "attestation only", ms: []v1.Descriptor{d("a", attest)}, want: amd64, err: true},
		{name: "empty", want: amd64, err: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := choosePlatform(c.ms, c.want)
			if c.err {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("got %v, %v; want ErrUnsupported", got.Digest, err)
				}
				return
			}
			if err != nil || got.Digest.Hex != c.pick {
				t.Fatalf("got %q, %v; want %q", got.Digest.Hex, err, c.pick)
			}
		})
	}
}
