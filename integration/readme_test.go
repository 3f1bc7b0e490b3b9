package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Every shell example of README.md runs here, read from the file, in the
// lane it needs: a block with volume commands in the VM lane (kernel
// iSCSI), `make demo` on the host lane (it installs and builds), the
// others in both. Each block runs line by line in one state directory,
// image store, volume registry and cgroup parent of its own, with cgrun's
// defaults otherwise (the default network included): a line must exit 0,
// and a `# prints: TEXT` comment must be in its output. `make test` is not
// run: it is what runs this test.

var printsRe = regexp.MustCompile(`#\s*prints:\s*(.*)$`)

// readmeBlocks returns the lines of each ```sh block of README.md.
func readmeBlocks(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(testutil.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks [][]string
	var cur []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "```sh"):
			in, cur = true, nil
		case in && strings.HasPrefix(line, "```"):
			in = false
			blocks = append(blocks, cur)
		case in && strings.TrimSpace(line) != "":
			cur = append(cur, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```sh block")
	}
	return blocks
}

func TestREADMEExamples(t *testing.T) {
	bin := testutil.CgrunBin(t)
	testutil.RequireRoot(t)
	for i, block := range readmeBlocks(t) {
		t.Run(fmt.Sprintf("block-%d", i+1), func(t *testing.T) {
			text := strings.Join(block, "\n")
			switch {
			case strings.Contains(text, "make "):
				if testutil.InVM() {
					t.Skip("make runs on the host lane (make test-integration)")
				}
			case strings.Contains(text, "cgrun volume "):
				testutil.RequireISCSI(t)
			case strings.Contains(text, "$REGISTRY"):
				skipInVM(t)
			}
			runReadmeBlock(t, bin, block)
		})
	}
}

func runReadmeBlock(t *testing.T, bin string, block []string) {
	dir := t.TempDir()
	parent := fmt.Sprintf("/cgrun-readme-%d", time.Now().UnixNano())
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "CGRUN_NETWORK=") { // the README speaks of cgrun's defaults: the default network
			env = append(env, e)
		}
	}
	env = append(env,
		"CGRUN_BIN="+bin,
		"CGRUN_ROOT="+filepath.Join(dir, "state"),
		"CGRUN_IMAGE_STORE="+filepath.Join(dir, "images"),
		"CGRUN_VOLUME_DIR="+filepath.Join(dir, "volumes"),
		"CGRUN_CGROUP_PARENT="+parent,
	)
	if strings.Contains(strings.Join(block, "\n"), "$REGISTRY") {
		env = append(env, registryEnv(t, dir)...)
	}
	nets := networkNames(t, bin)
	t.Cleanup(func() { cleanUpReadme(t, bin, env, parent, nets) })
	image := testutil.Image(t)
	for _, line := range block {
		cmdline := strings.TrimSpace(line)
		if strings.HasPrefix(cmdline, "make test") {
			t.Logf("not run (it is what runs this test): %s", cmdline)
			continue
		}
		script := `cgrun() { "$CGRUN_BIN" "$@"; }; ` + regexp.MustCompile(`\bIMAGE\b`).ReplaceAllString(cmdline, image)
		if strings.HasPrefix(cmdline, "make ") {
			script = "cd " + testutil.RepoRoot(t) + " && " + cmdline
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Fatalf("README line %q: %v\n%s", cmdline, err, out.String())
		}
		if m := printsRe.FindStringSubmatch(cmdline); m != nil && !strings.Contains(out.String(), strings.TrimSpace(m[1])) {
			t.Fatalf("README line %q: output %q does not hold %q", cmdline, out.String(), strings.TrimSpace(m[1]))
		}
	}
}

// registryEnv serves the registry a README block about registries speaks
// of (TLS with its own CA, basic auth, signed images: serveSignedRegistry)
// and names it in the environment: $REGISTRY (HOST:PORT), $CERTS (its CA),
// $PASSWORD_FILE, $POLICY (signature policy), $REGISTRIES_D (where its
// signatures are looked up); logins go to dir/containers/auth.json
// ($XDG_RUNTIME_DIR), not the host's.
func registryEnv(t *testing.T, dir string) []string {
	t.Helper()
	r := serveSignedRegistry(t)
	pw := filepath.Join(dir, "password")
	if err := os.WriteFile(pw, []byte(r.pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"REGISTRY=" + r.host, "CERTS=" + r.caDir, "PASSWORD_FILE=" + pw, "POLICY=" + r.policy,
		"REGISTRIES_D=" + r.regd, "XDG_RUNTIME_DIR=" + dir, "REGISTRY_AUTH_FILE="}
}

// networkNames lists the networks of the package's CNI directory.
func networkNames(t *testing.T, bin string) map[string]bool {
	t.Helper()
	out, err := exec.Command(bin, "network", "ls", "-q").Output()
	if err != nil {
		t.Fatalf("network ls: %v", err)
	}
	names := map[string]bool{}
	for _, n := range strings.Fields(string(out)) {
		names[n] = true
	}
	return names
}

// cleanUpReadme removes what a block left when one of its lines failed:
// containers, volumes, networks made meanwhile (the default network is
// the package's to remove), the cgroup parent.
func cleanUpReadme(t *testing.T, bin string, env []string, parent string, before map[string]bool) {
	run := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, _ := cmd.Output()
		return string(out)
	}
	for _, id := range strings.Fields(run("ps", "-a", "-q")) {
		run("rm", "-f", id)
	}
	for _, v := range strings.Fields(run("volume", "ls", "-q")) {
		run("volume", "rm", v)
	}
	for n := range networkNames(t, bin) {
		if !before[n] && n != "cgrun" {
			run("network", "rm", n)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(testutil.CgroupRoot, "*", parent))
	dirs = append(dirs, filepath.Join(testutil.CgroupRoot, parent))
	for _, d := range dirs {
		if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
			t.Errorf("cgroup parent %s: %v", d, err)
		}
	}
}
