package lifecycle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// run's process and filesystem options reach the container.
func TestRunProcessOptions(t *testing.T) {
	c := testutil.NewCgrun(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "in"), []byte("from-host"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		flags []string
		cmd   string
		want  string
	}{
		{"env", []string{"-e", "GREETING=hi"}, `echo "$GREETING"`, "hi"},
		{"workdir", []string{"-w", "/tmp"}, "pwd", "/tmp"},
		{"user", []string{"-u", "nobody"}, "id -u; id -g", "65534\n65534"},
		{"user numeric", []string{"-u", "1234:5678"}, "id -u; id -g", "1234\n5678"},
		{"hostname", []string{"--hostname", "box1"}, "hostname", "box1"},
		{"volume", []string{"-v", host + ":/data"}, "cat /data/in; echo out > /data/out", "from-host"},
		{"volume read-only", []string{"-v", host + ":/data:ro"}, "echo x > /data/ro 2>/dev/null || echo refused", "refused"},
		{"read-only rootfs", []string{"--read-only"}, "touch /x 2>/dev/null || echo refused", "refused"},
		{"device", []string{"--device", "/dev/null:/dev/mynull"}, "echo x > /dev/mynull && echo wrote", "wrote"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Run(append([]string{"--rm"}, tc.flags...), "sh", "-c", tc.cmd)
			if r.Code != 0 || r.Stdout != tc.want {
				t.Fatalf("%v: want %q, got %s", tc.flags, tc.want, r)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(host, "out")); err != nil || string(b) != "out\n" {
		t.Errorf("the container's write to the volume is not on the host: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(host, "ro")); err == nil {
		t.Error("a :ro volume was written")
	}
	for _, bad := range [][]string{{"-v", "/no/such/dir:/data"}, {"-w", "relative"}, {"--device", "/etc/passwd"}, {"--cgroup-parent", "rel"}} {
		if r := c.Run(append([]string{"--rm"}, bad...), "true"); r.Code != 125 || strings.Count(r.Stderr, "\n") != 0 {
			t.Errorf("%v: want exit 125 and one line, got %s", bad, r)
		}
	}
	assertNoLeftovers(t, c, "")
}

// -i passes stdin; -t gives the process a terminal.
func TestRunStdinAndTerminal(t *testing.T) {
	c := testutil.NewCgrun(t)
	cmd := exec.Command(c.Bin, "--root", c.Root, "run", "--rm", "-i", "--cgroup-parent", c.Parent, testutil.Image(t), "sh")
	cmd.Stdin = strings.NewReader("echo from-stdin\n")
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) != "from-stdin" {
		t.Fatalf("run -i: %q %v", out, err)
	}
	script := testutil.RequireCommand(t, "script", "util-linux")
	line := strings.Join([]string{c.Bin, "--root", c.Root, "run", "--rm", "-t", "--cgroup-parent", c.Parent, testutil.Image(t), "sh", "-c", "'tty; exit 5'"}, " ")
	tcmd := exec.Command(script, "-qec", line, "/dev/null")
	out, err = tcmd.Output()
	if !strings.Contains(string(out), "/dev/pts/") || tcmd.ProcessState.ExitCode() != 5 {
		t.Fatalf("run -t: want a pts and exit 5, got %q, %v", out, err)
	}
	assertNoLeftovers(t, c, "")
}
