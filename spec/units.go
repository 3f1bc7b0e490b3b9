package spec

import (
	"fmt"
	"strconv"

	units "github.com/docker/go-units"
)

// Bytes is a size flag value: go-units RAMInBytes (binary, "1m" = 1048576),
// optionally -1 for unlimited, never below Min.
type Bytes struct {
	Min       int64 // smallest accepted size
	Unlimited bool  // -1 accepted as unlimited
	set       bool
	n         int64
}

// Set parses s.
func (b *Bytes) Set(s string) error {
	if b.Unlimited && s == "-1" {
		b.n, b.set = -1, true
		return nil
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n < 0 {
		return rulef(ErrSyntax, "%s", b.rule())
	}
	if n < b.Min {
		return rulef(ErrRange, "%s", b.rule())
	}
	b.n, b.set = n, true
	return nil
}

func (b *Bytes) rule() string {
	r := "must be a size like 100m (b, k, m, g)"
	if b.Min > 0 {
		r += " of at least " + FormatSize(b.Min)
	}
	if b.Unlimited {
		r += ", or -1 for unlimited"
	}
	return r
}

// String is the size in the largest exact unit ("100m"), "-1", or "".
func (b *Bytes) String() string {
	if b == nil || !b.set {
		return ""
	}
	return FormatSize(b.n)
}

// Value returns the size in bytes and whether it was given.
func (b *Bytes) Value() (int64, bool) { return b.n, b.set }

// FormatSize writes n in the largest binary unit that divides it exactly,
// in the form RAMInBytes reads back: 104857600 -> "100m", -1 -> "-1".
func FormatSize(n int64) string {
	if n <= 0 {
		return strconv.FormatInt(n, 10)
	}
	for _, u := range []struct {
		size   int64
		suffix string
	}{{units.PiB, "p"}, {units.TiB, "t"}, {units.GiB, "g"}, {units.MiB, "m"}, {units.KiB, "k"}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Int is an integer flag value within [Min, Max], or one of Also (special
// values such as -1 for unlimited). Unset, when non-nil, is the value that
// means "not given" (e.g. -1 for --memory-swappiness, 0 for --blkio-weight).
type Int struct {
	Min, Max int64
	Also     []int64
	Unset    *int64
	Rule     string // e.g. "must be between 10 and 1000 (0 = unset)"
	set      bool
	n        int64
}

// Set parses s as a base-10 integer and checks its range.
func (v *Int) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return rulef(ErrSyntax, "%s", v.rule())
	}
	ok := n >= v.Min && n <= v.Max
	for _, a := range v.Also {
		ok = ok || n == a
	}
	if v.Unset != nil && n == *v.Unset {
		ok = true
	}
	if !ok {
		return rulef(ErrRange, "%s", v.rule())
	}
	v.n, v.set = n, true
	return nil
}

func (v *Int) rule() string {
	if v.Rule != "" {
		return v.Rule
	}
	return fmt.Sprintf("must be an integer between %d and %d", v.Min, v.Max)
}

// String is the decimal value, or "" when not given.
func (v *Int) String() string {
	if v == nil || !v.set {
		return ""
	}
	return strconv.FormatInt(v.n, 10)
}

// Value returns the integer and whether it was given (a value equal to
// Unset counts as not given).
func (v *Int) Value() (int64, bool) {
	if !v.set || (v.Unset != nil && v.n == *v.Unset) {
		return 0, false
	}
	return v.n, true
}

// Unsupported is the value of a flag cgrun refuses by name.
type Unsupported struct{ Why string }

// Set always fails with the reason.
func (u *Unsupported) Set(string) error { return rulef(ErrUnsupported, "%s", u.Why) }

// String is always "".
func (u *Unsupported) String() string { return "" }
