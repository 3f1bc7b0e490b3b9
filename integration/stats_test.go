package integration

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/integration/testutil"
)

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	require.NoError(t, err, "number %q", s)
	return n
}

type statsJSON struct {
	Name        string  `json:"name"`
	CPUPercent  float64 `json:"cpu_percent"`
	CPUUsageNs  uint64  `json:"cpu_usage_ns"`
	MemoryUsage uint64  `json:"memory_usage"`
	PidsCurrent uint64  `json:"pids_current"`
	WindowNs    int64   `json:"window_ns"`
}

// stats of a container running stress shows its CPU and memory, and the
// JSON figures match the cgroup files.
func TestStatsOfStress(t *testing.T) {
	c := testutil.NewCgrun(t)
	l := runLive(t, c, "busy", nil, "stress", "-c", "1", "--vm", "1", "--vm-bytes", "32M", "--vm-hang", "0")
	usage := lane("memory.usage_in_bytes", "memory.current")
	require.Eventually(t, func() bool { return atoi(t, l.file(t, "memory", usage)) >= 32<<20 }, 20*time.Second, 100*time.Millisecond)

	r := c.Cmd("stats", "--no-stream", "--format", "json", l.name)
	require.Equal(t, 0, r.Code, r.String())
	fileUsage := atoi(t, l.file(t, "memory", usage))
	pids := l.file(t, "pids", "pids.current")
	var rows []statsJSON
	require.NoError(t, json.Unmarshal([]byte(r.Stdout), &rows), r.Stdout)
	require.Len(t, rows, 1, "stderr: %s", r.Stderr)
	s := rows[0]
	require.Equal(t, "busy", s.Name)
	require.Greater(t, s.CPUPercent, 50.0, "stress -c 1 over %d ns", s.WindowNs)
	require.GreaterOrEqual(t, s.MemoryUsage, uint64(32<<20))
	require.InEpsilon(t, float64(fileUsage), float64(s.MemoryUsage), 0.05, "memory usage vs %s", usage)
	require.Equal(t, pids, strconv.FormatUint(s.PidsCurrent, 10), "pids.current")

	// The table, and all running containers without names.
	r = c.Cmd("stats", "--no-stream")
	require.Equal(t, 0, r.Code, r.String())
	lines := strings.Split(r.Stdout, "\n")
	require.Len(t, lines, 2, r.Stdout)
	require.Equal(t, []string{"CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT", "MEM", "%", "BLOCK", "I/O", "PIDS"}, strings.Fields(lines[0]))
	require.Equal(t, "busy", strings.Fields(lines[1])[1])
	require.Equal(t, pids, strings.Fields(lines[1])[len(strings.Fields(lines[1]))-1])
}

// inspect shows the OOM events of a container whose process the OOM killer
// hit, recorded by the monitor when the container exits.
func TestInspectOOMEvents(t *testing.T) {
	c := testutil.NewCgrun(t)
	l := runLive(t, c, "oom", []string{"-m", "16m", "--memory-swap", "16m"}, "stress", "--vm", "1", "--vm-bytes", "64M", "--vm-keep")
	w := c.Cmd("wait", l.name)
	require.Equal(t, 0, w.Code, w.String())
	ir := c.Cmd("inspect", l.name)
	require.Equal(t, 0, ir.Code, ir.String())
	var info []struct {
		OOMKilled *bool   `json:"oomKilled"`
		OOMEvents *uint64 `json:"oomEvents"`
		Status    string  `json:"status"`
	}
	require.NoError(t, json.Unmarshal([]byte(ir.Stdout), &info))
	require.Equal(t, "exited", info[0].Status)
	require.NotNil(t, info[0].OOMKilled)
	require.NotNil(t, info[0].OOMEvents)
	require.GreaterOrEqual(t, *info[0].OOMEvents, uint64(1))
}
