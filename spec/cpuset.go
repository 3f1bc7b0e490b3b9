package spec

import (
	"sort"
	"strconv"
	"strings"
)

// MaxCPUSetEntries bounds a cpuset list (the kernel's NR_CPUS ceiling).
const MaxCPUSetEntries = 8192

// CPUSet is the value of --cpuset-cpus and --cpuset-mems: the kernel's
// list syntax "0-3,5", kept sorted and merged.
type CPUSet struct {
	set    bool
	ranges []idRange
}

type idRange struct{ lo, hi int }

// Set parses a list such as "0-3,5".
func (c *CPUSet) Set(s string) error {
	rs, err := parseCPUList(s)
	if err != nil {
		return err
	}
	c.ranges, c.set = rs, true
	return nil
}

// parseCPUList parses the kernel's list syntax into sorted, merged ranges.
func parseCPUList(s string) ([]idRange, error) {
	const rule = "must be a list like 0-3,5 of at most 8192 ids"
	if s == "" || len(s) > 65536 {
		return nil, rulef(ErrSyntax, "%s", rule)
	}
	var rs []idRange
	total := 0
	for _, part := range strings.Split(s, ",") {
		loS, hiS, isRange := strings.Cut(part, "-")
		lo, err1 := parseID(loS)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = parseID(hiS)
		}
		if err1 != nil || err2 != nil {
			return nil, rulef(ErrSyntax, "%s", rule)
		}
		if hi < lo {
			return nil, rulef(ErrSyntax, "%s", rule)
		}
		total += hi - lo + 1
		if total > MaxCPUSetEntries || hi >= 1<<20 {
			return nil, rulef(ErrRange, "%s", rule)
		}
		rs = append(rs, idRange{lo, hi})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	merged := rs[:1]
	for _, r := range rs[1:] {
		last := &merged[len(merged)-1]
		if r.lo <= last.hi+1 {
			last.hi = max(last.hi, r.hi)
			continue
		}
		merged = append(merged, r)
	}
	return merged, nil
}

func parseID(s string) (int, error) {
	if s == "" || len(s) > 7 || !digits(s) {
		return 0, ErrSyntax
	}
	return strconv.Atoi(s)
}

// String is the canonical list, "" when not given.
func (c *CPUSet) String() string {
	if c == nil || !c.set {
		return ""
	}
	return formatRanges(c.ranges)
}

func formatRanges(rs []idRange) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		switch {
		case r.lo == r.hi:
			parts = append(parts, strconv.Itoa(r.lo))
		default:
			parts = append(parts, strconv.Itoa(r.lo)+"-"+strconv.Itoa(r.hi))
		}
	}
	return strings.Join(parts, ",")
}

// IDs lists every id of the set in order.
func (c *CPUSet) IDs() []int { return rangeIDs(c.ranges) }

func rangeIDs(rs []idRange) []int {
	var ids []int
	for _, r := range rs {
		for i := r.lo; i <= r.hi; i++ {
			ids = append(ids, i)
		}
	}
	return ids
}

// CanonicalCPUList checks a list such as "5,0-3" and returns it sorted
// and merged ("0-3,5").
func CanonicalCPUList(s string) (string, error) {
	rs, err := parseCPUList(s)
	if err != nil {
		return "", err
	}
	return formatRanges(rs), nil
}
