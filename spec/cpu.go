package spec

import (
	"strconv"
	"strings"
)

// DefaultCPUPeriod is the CFS period (us) --cpus is expressed in.
const DefaultCPUPeriod = 100000

// AnnotationCPUs records --cpus in the spec, so that a later update keeps
// --cpus and --cpu-period/--cpu-quota exclusive (moby/moby#31032). It is no
// cgroup extension knob (not under cgroup.AnnotationPrefix).
const AnnotationCPUs = "io.cgrun.cpus"

// MinCPUQuota is the smallest CFS quota (us) the kernel accepts.
const MinCPUQuota = 1000

// NewCPUPeriod is the value of --cpu-period (us).
func NewCPUPeriod() *Int {
	return &Int{Min: 1000, Max: 1000000, Rule: "must be between 1000 and 1000000 (microseconds)"}
}

// NewCPUQuota is the value of --cpu-quota (us).
func NewCPUQuota() *Int {
	return &Int{Min: MinCPUQuota, Max: 1 << 40, Also: []int64{-1},
		Rule: "must be at least 1000 (microseconds), or -1 for unlimited"}
}

// NewCPUShares is the value of -c/--cpu-shares.
func NewCPUShares() *Int {
	return &Int{Min: 2, Max: 262144, Rule: "must be between 2 and 262144"}
}

// CPUs is the value of --cpus: a decimal number of CPUs kept exactly as
// nano-CPUs (1.5 -> 1500000000), at least 0.01 (a 1000 us quota).
type CPUs struct {
	set  bool
	nano int64
}

const nanoPerCPU = 1_000_000_000

// Set parses a plain decimal ("1.5", ".5", "2").
func (c *CPUs) Set(s string) error {
	const rule = "must be a decimal number of CPUs of at least 0.01, with at most 9 decimals"
	whole, frac, _ := strings.Cut(s, ".")
	if len(s) == 0 || len(s) > 20 || (whole == "" && frac == "") || len(frac) > 9 || !digits(whole) || !digits(frac) {
		return rulef(ErrSyntax, "%s", rule)
	}
	var w int64
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > 1<<20 {
			return rulef(ErrRange, "%s", rule)
		}
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	nano := w*nanoPerCPU + f
	if nano < nanoPerCPU/100 {
		return rulef(ErrRange, "%s", rule)
	}
	c.nano, c.set = nano, true
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the exact decimal, "" when not given.
func (c *CPUs) String() string {
	if c == nil || !c.set {
		return ""
	}
	return FormatNanoCPUs(c.nano)
}

// Value returns nano-CPUs and whether it was given.
func (c *CPUs) Value() (int64, bool) { return c.nano, c.set }

// FormatNanoCPUs writes nano-CPUs as a decimal: 1500000000 -> "1.5".
func FormatNanoCPUs(nano int64) string {
	s := strconv.FormatInt(nano/nanoPerCPU, 10)
	if f := nano % nanoPerCPU; f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(f+nanoPerCPU, 10)[1:], "0")
	}
	return s
}

// CPUQuotaFor is the quota (us) for nano-CPUs at period (us).
func CPUQuotaFor(nano int64, period uint64) int64 {
	return nano * int64(period) / nanoPerCPU
}

// NewCPURealtimeRuntime is the value of --cpu-rt-runtime (us).
func NewCPURealtimeRuntime() *Int {
	return &Int{Min: 0, Max: 1000000, Rule: "must be between 0 and 1000000 (microseconds)"}
}

// NewCPURealtimePeriod is the value of --cpu-rt-period (us).
func NewCPURealtimePeriod() *Int {
	return &Int{Min: 1000, Max: 1000000, Rule: "must be between 1000 and 1000000 (microseconds)"}
}
