package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportGraph keeps the data flow one way (STYLE.md): cmd -> runner ->
// spec -> container -> (cgroup, volume, image, network); cgroup,
// cgroup/warm, blkio, volume, image, network, logs and shim are leaves (they share internal/flock,
// which imports nothing of cgrun); csidriver (the CSI plugin) imports
// volume alone; image/trust gives image its verifier and
// registry options and imports image alone; container/initexec (the
// containers' init on cgrun-init) is a leaf that container and cmd/cgrun-init
// import; container/seccompcache (seccomp filters compiled once) imports
// initexec alone, and its wrap (libseccomp wrapped, linked into the init
// binary) imports seccompcache alone and only cmd/cgrun-init imports it;
// internal/beside (the helper binaries installed beside a program) is a
// leaf;
// nothing imports cmd. Every package of
// the module must be listed: a new one fails the test until its place in
// the graph is decided here.
func TestImportGraph(t *testing.T) {
	const mod = "github.com/cgrun/cgrun/"
	const anything = "*" // the command and the tests may import any library package
	allowed := map[string][]string{
		"blkio":                       nil,
		"cgroup":                      nil,
		"cgroup/warm":                 nil,
		"internal/flock":              nil,
		"internal/beside":             nil,
		"shim":                        nil,
		"logs":                        nil,
		"volume":                      {"internal/flock"},
		"csidriver":                   {"volume"},
		"image":                       {"internal/flock"},
		"image/trust":                 {"image"},
		"network":                     {"internal/flock"},
		"spec":                        {"blkio"},
		"container/initexec":          nil,
		"container/seccompcache":      {"container/initexec", "internal/beside"},
		"container/seccompcache/wrap": {"container/seccompcache"},
		"container":                   {"cgroup", "cgroup/warm", "volume", "image", "network", "blkio", "logs", "internal/flock", "container/initexec", "container/seccompcache", "internal/beside"},
		"runner":                      {"spec", "container", "cgroup", "volume", "image", "network", "blkio", "logs", "shim"},
		"cmd/cgrun":                   {anything},
		"cmd/cgrun-init":              {"container/initexec", "container/seccompcache", "container/seccompcache/wrap", "internal/beside"},
		"integration":                 {anything},
		"integration/lifecycle":       {anything},
		"integration/testutil":        {anything},
		"integration/testimage/mkoci": {anything},
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	// the package's own imports, then its tests' (held only to "not cmd")
	out, err := exec.Command(goBin, "list", "-f", `{{.ImportPath}} {{join .Imports " "}} | {{join .TestImports " "}} {{join .XTestImports " "}}`, mod+"...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		rules, ok := allowed[pkg]
		require.True(t, ok, "package %s is not in the import graph: add it to TestImportGraph with what it may import", pkg)
		seen++
		tests := false
		for _, imp := range fields[1:] {
			if imp == "|" {
				tests = true
			}
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			require.NotEqual(t, "cmd/cgrun", dep, "%s imports cmd", pkg)
			if tests || dep == pkg || slices.Contains(rules, anything) {
				continue
			}
			require.False(t, strings.HasPrefix(dep, "integration"), "%s imports the tests' %s", pkg, dep)
			require.Contains(t, rules, dep, "%s must not import %s", pkg, dep)
		}
	}
	require.Equal(t, len(allowed), seen, "every package in the graph was read")
}
