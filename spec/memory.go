package spec

// MinMemory is the smallest --memory cgrun accepts (Pouch's rule; Docker
// says 6 MiB).
const MinMemory = 4 << 20

// NewMemory is the value of -m/--memory.
func NewMemory() *Bytes { return &Bytes{Min: MinMemory} }

// NewMemorySwap is the value of --memory-swap: memory plus swap, -1 unlimited.
func NewMemorySwap() *Bytes { return &Bytes{Unlimited: true} }

// NewMemoryReservation is the value of --memory-reservation.
func NewMemoryReservation() *Bytes { return &Bytes{} }

// NewKernelMemory is the value of --kernel-memory: refused.
func NewKernelMemory() *Unsupported {
	return &Unsupported{Why: "unsupported: kernel memory limits are deprecated by the kernel and ignored by runc"}
}

var minusOne = int64(-1)

// NewMemorySwappiness is the value of --memory-swappiness: 0..100, -1 unset.
func NewMemorySwappiness() *Int {
	return &Int{Min: 0, Max: 100, Unset: &minusOne, Rule: "must be between 0 and 100 (-1 = unset)"}
}

// NewOOMScoreAdj is the value of --oom-score-adj: -1000..1000.
func NewOOMScoreAdj() *Int {
	return &Int{Min: -1000, Max: 1000, Rule: "must be between -1000 and 1000"}
}
