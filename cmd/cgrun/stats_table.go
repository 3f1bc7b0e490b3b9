package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/container"
)

// statsSample is one read of a container's cgroup and when it was taken.
type statsSample struct {
	stats *cgroup.Stats
	at    time.Time
}

// statsEntry is one row of stats (one object of --format json): the raw
// cgroup figures (bytes, ns) and the percentages over the window between
// two samples.
type statsEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	cgroup.Stats
	// WindowNs is the wall time between the two samples CPUPercent is
	// computed over.
	WindowNs   int64   `json:"window_ns"`
	CPUPercent float64 `json:"cpu_percent"` // 100 = one CPU busy
	// MemoryLimitEffective is the cgroup's limit, or the host's memory
	// when that is smaller (an unlimited cgroup).
	MemoryLimitEffective uint64  `json:"memory_limit_effective"`
	MemoryPercent        float64 `json:"memory_percent"`
}

// newStatsEntry computes a row from two samples of the same container;
// hostMem is the host's memory in bytes (0: unknown).
func newStatsEntry(id, name string, prev, cur statsSample, hostMem uint64) statsEntry {
	e := statsEntry{ID: id, Name: name, Stats: *cur.stats}
	window := cur.at.Sub(prev.at)
	e.WindowNs = window.Nanoseconds()
	if window > 0 && cur.stats.CPUUsageNs >= prev.stats.CPUUsageNs {
		e.CPUPercent = float64(cur.stats.CPUUsageNs-prev.stats.CPUUsageNs) / float64(window.Nanoseconds()) * 100
	}
	e.MemoryLimitEffective = cur.stats.MemoryLimit
	if hostMem > 0 && (e.MemoryLimitEffective == 0 || e.MemoryLimitEffective > hostMem) {
		e.MemoryLimitEffective = hostMem
	}
	if e.MemoryLimitEffective > 0 {
		e.MemoryPercent = float64(cur.stats.MemoryUsage) / float64(e.MemoryLimitEffective) * 100
	}
	return e
}

// renderStatsTable writes the rows as docker stats does.
func renderStatsTable(w io.Writer, rows []statsEntry) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tBLOCK I/O\tPIDS")
	for _, e := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.2f%%\t%s / %s\t%.2f%%\t%s / %s\t%d\n",
			container.ShortID(e.ID), e.Name, e.CPUPercent,
			units.BytesSize(float64(e.MemoryUsage)), units.BytesSize(float64(e.MemoryLimitEffective)),
			e.MemoryPercent,
			units.BytesSize(float64(e.BlkioReadBytes)), units.BytesSize(float64(e.BlkioWriteBytes)),
			e.PidsCurrent)
	}
	return tw.Flush()
}
