package spec

// NewPidsLimit is the value of --pids-limit: any integer; <= 0 means
// unlimited as in Docker (see PidsLimit).
func NewPidsLimit() *Int {
	return &Int{Min: -1 << 62, Max: 1 << 62, Rule: "must be an integer (<= 0 = unlimited)"}
}

// PidsLimit maps a --pids-limit number to the spec's: <= 0 is -1 (max).
func PidsLimit(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}
