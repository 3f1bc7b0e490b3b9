package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/cgroup"
)

func TestStatsEntryFromTwoSamples(t *testing.T) {
	t0 := time.Unix(1000, 0)
	prev := statsSample{stats: &cgroup.Stats{CPUUsageNs: 1e9}, at: t0}
	cur := statsSample{stats: &cgroup.Stats{CPUUsageNs: 2.5e9, MemoryUsage: 32 << 20, MemoryLimit: 128 << 20, PidsCurrent: 3}, at: t0.Add(2 * time.Second)}
	e := newStatsEntry("0123456789abcdef", "web", prev, cur, 1<<30)
	require.InDelta(t, 75.0, e.CPUPercent, 1e-9, "1.5 s of CPU over 2 s of wall time")
	require.Equal(t, int64(2e9), e.WindowNs)
	require.InDelta(t, 25.0, e.MemoryPercent, 1e-9)
	require.Equal(t, uint64(128<<20), e.MemoryLimitEffective)

	// An unlimited cgroup is measured against the host's memory.
	cur.stats.MemoryLimit = 9223372036854771712
	e = newStatsEntry("0123456789abcdef", "web", prev, cur, 256<<20)
	require.Equal(t, uint64(256<<20), e.MemoryLimitEffective)
	require.InDelta(t, 12.5, e.MemoryPercent, 1e-9)

	// A counter that went backwards (a new cgroup) shows 0, not garbage.
	e = newStatsEntry("0123456789abcdef", "web", cur, prev, 0)
	require.Zero(t, e.CPUPercent)
}

func TestRenderStatsTable(t *testing.T) {
	rows := []statsEntry{{
		ID: "0123456789abcdef0123", Name: "web",
		Stats:      cgroup.Stats{MemoryUsage: 34091008, BlkioReadBytes: 1 << 20, BlkioWriteBytes: 0, PidsCurrent: 2},
		CPUPercent: 99.5, MemoryLimitEffective: 100 << 20, MemoryPercent: 32.51171875,
	}}
	var b bytes.Buffer
	require.NoError(t, renderStatsTable(&b, rows))
	require.Equal(t, ""+
		"CONTAINER ID   NAME   CPU %    MEM USAGE / LIMIT   MEM %    BLOCK I/O   PIDS\n"+
		"0123456789ab   web    99.50%   32.51MiB / 100MiB   32.51%   1MiB / 0B   2\n", b.String())
}
