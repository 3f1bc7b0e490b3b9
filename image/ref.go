package image

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
)

// Transport says where an image reference points.
type Transport int

// The transports cgrun reads images from.
const (
	// TransportStore: a name already in cgrun's store.
	TransportStore Transport = iota
	// TransportLayout: an OCI image layout directory, oci:DIR[:TAG].
	TransportLayout
	// TransportArchive: a tar of an OCI image layout, oci-archive:FILE[:TAG].
	TransportArchive
	// TransportRegistry: a registry, docker://REGISTRY/NAME[:TAG|@DIGEST].
	TransportRegistry
)

const (
	prefixLayout   = "oci:"
	prefixArchive  = "oci-archive:"
	prefixRegistry = "docker://"
)

// Reference is a parsed image reference.
type Reference struct {
	Transport Transport
	// Path is the layout directory or archive file (absolute), for the
	// layout and archive transports.
	Path string
	// Tag selects a manifest of a layout by its
	// org.opencontainers.image.ref.name annotation; empty takes the only one.
	Tag string
	// Remote is the registry reference, for the registry transport.
	Remote name.Reference
	// Name is the name in the store, for the store transport.
	Name string
}

// ParseReference parses an IMAGE argument.
func ParseReference(s string) (Reference, error) {
	switch {
	case s == "":
		return Reference{}, fmt.Errorf("%w: empty", ErrBadReference)
	case strings.HasPrefix(s, prefixArchive):
		return parsePathRef(TransportArchive, s, strings.TrimPrefix(s, prefixArchive))
	case strings.HasPrefix(s, prefixLayout):
		return parsePathRef(TransportLayout, s, strings.TrimPrefix(s, prefixLayout))
	case strings.HasPrefix(s, prefixRegistry):
		r, err := name.ParseReference(strings.TrimPrefix(s, prefixRegistry), name.StrictValidation)
		if err != nil {
			// StrictValidation refuses a reference without tag or digest;
			// Docker defaults to :latest.
			r, err = name.ParseReference(strings.TrimPrefix(s, prefixRegistry))
		}
		if err != nil {
			return Reference{}, fmt.Errorf("%w %q: %w", ErrBadReference, s, err)
		}
		return Reference{Transport: TransportRegistry, Remote: r}, nil
	default:
		return Reference{Transport: TransportStore, Name: s}, nil
	}
}

// parsePathRef splits DIR[:TAG]: the tag is what follows the last colon
// when it holds no slash, so a directory may not end in ":x".
func parsePathRef(t Transport, whole, rest string) (Reference, error) {
	path, tag := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		path, tag = rest[:i], rest[i+1:]
		if tag == "" {
			return Reference{}, fmt.Errorf("%w %q: empty tag after ':'", ErrBadReference, whole)
		}
	}
	if path == "" {
		return Reference{}, fmt.Errorf("%w %q: no path", ErrBadReference, whole)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Reference{}, fmt.Errorf("%w %q: %w", ErrBadReference, whole, err)
	}
	return Reference{Transport: t, Path: abs, Tag: tag}, nil
}

// String is the canonical form, used as the store name of an image
// imported without an explicit name.
func (r Reference) String() string {
	switch r.Transport {
	case TransportLayout, TransportArchive:
		p := prefixLayout
		if r.Transport == TransportArchive {
			p = prefixArchive
		}
		if r.Tag != "" {
			return p + r.Path + ":" + r.Tag
		}
		if strings.Contains(filepath.Base(r.Path), ":") {
			// A trailing slash keeps a colon in the last element from
			// reading as a tag when the string is parsed again.
			return p + r.Path + "/"
		}
		return p + r.Path
	case TransportRegistry:
		return r.Remote.Name()
	default:
		return r.Name
	}
}

// Arg is r as an IMAGE argument, the transport named: ParseReference
// reads it back as r (for another process to copy the same image).
func (r Reference) Arg() string {
	if r.Transport == TransportRegistry {
		return prefixRegistry + r.Remote.Name()
	}
	return r.String()
}

// nameRe is a store name given by the user (image import NAME): Docker's
// reference grammar, [DOMAIN[:PORT]/]PATH[:TAG], lowercase path
// components of letters and digits joined by '.', '_' or '-'.
var nameRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`)
})

// ValidName checks an image name given for the store: Docker's
// [DOMAIN[:PORT]/]NAME[:TAG], at most 255 characters.
func ValidName(name string) error {
	if len(name) > 255 || !nameRe().MatchString(name) {
		return fmt.Errorf("%w: image name %q: must be [DOMAIN[:PORT]/]NAME[:TAG], NAME lowercase letters and digits in components joined by '.', '_', '-' and '/'", ErrBadReference, name)
	}
	return nil
}
