package cgroup

import (
	"slices"
	"strconv"
	"strings"
)

// canonicalList writes a cpuset list ("3,0-1,2") the way the kernel shows
// it ("0-3"). An unparsable list is returned as is.
func canonicalList(s string) string {
	var ids []int
	for part := range strings.SplitSeq(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return s
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return s
			}
		}
		for i := a; i <= b; i++ {
			ids = append(ids, i)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j == i {
			out = append(out, strconv.Itoa(ids[i]))
		} else {
			out = append(out, strconv.Itoa(ids[i])+"-"+strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return strings.Join(out, ",")
}
