package image

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// choosePlatform picks the manifest of an index for want: OS and
// architecture must match; among those, a matching variant is preferred,
// then the first (the image spec's order). An index whose only manifest
// names no platform is taken as is. Attestation manifests (platform
// unknown/unknown) never match.
func choosePlatform(ms []v1.Descriptor, want v1.Platform) (v1.Descriptor, error) {
	var first *v1.Descriptor
	var seen []string
	for i := range ms {
		d := ms[i]
		if d.Platform == nil {
			continue
		}
		seen = append(seen, d.Platform.String())
		if d.Platform.OS != want.OS || d.Platform.Architecture != want.Architecture {
			continue
		}
		if d.Platform.Variant == want.Variant {
			return d, nil
		}
		if first == nil {
			first = &ms[i]
		}
	}
	if first != nil {
		return *first, nil
	}
	if len(ms) == 1 && ms[0].Platform == nil {
		return ms[0], nil
	}
	return v1.Descriptor{}, fmt.Errorf("%w platform: the index has no manifest for %s (it has %q)", ErrUnsupported, want.String(), seen)
}
