package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportGraph keeps the data flow one way (STYLE.md): cmd -> spec ->
// container -> (cgroup, volume); cgroup, cgroup/warm, blkio, volume and image are leaves
// (volume and image share internal/flock, which imports nothing of cgrun);
// nothing imports cmd.
func TestImportGraph(t *testing.T) {
	const mod = "github.com/cgrun/cgrun/"
	allowed := map[string][]string{
		"blkio":          nil,
		"cgroup":         nil,
		"cgroup/warm":    nil,
		"internal/flock": nil,
		"volume":         {"internal/flock"},
		"image":          {"internal/flock"},
		"spec":           {"blkio", "cgroup"},
		"container":      {"cgroup", "cgroup/warm", "volume", "image", "blkio", "internal/flock"},
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, mod+"...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			require.NotEqual(t, "cmd/cgrun", dep, "%s imports cmd", pkg)
			rules, ok := allowed[pkg]
			if !ok {
				continue
			}
			seen++
			require.Contains(t, rules, dep, "%s must not import %s", pkg, dep)
		}
	}
	require.Positive(t, seen, "the graph was read")
}
