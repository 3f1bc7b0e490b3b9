package container

// OOMCounter is a CgroupHooks that also counts the OOM kills of the
// container's cgroup; the owner records the count at exit.
type OOMCounter interface {
	OOMEvents(paths map[string]string) (uint64, error)
}

// oomEvents reads the count through h when it counts (0 otherwise or on a
// read error: the cgroup may be gone).
func oomEvents(h CgroupHooks, paths map[string]string) uint64 {
	c, ok := h.(OOMCounter)
	if !ok {
		return 0
	}
	n, err := c.OOMEvents(paths)
	if err != nil {
		return 0
	}
	return n
}
