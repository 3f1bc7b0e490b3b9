package lifecycle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgrun/cgrun/integration/testutil"
)

// The bad input a hostile user tried (issue: crash-proof lifecycle): each
// is refused with exit 125 and one line naming the flag or argument, and
// leaves nothing: no container, no store entry, no volume directory.
func TestBadInputRefusedInOneLine(t *testing.T) {
	c := testutil.NewCgrun(t)
	store := t.TempDir()
	vols := t.TempDir()
	t.Setenv("CGRUN_VOLUME_DIR", vols)
	rootfs := testutil.Image(t)
	badPolicy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(badPolicy, []byte(`{"default": [{"type": "signedBy"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--rm", "--hostname", "a\nb", "--rootfs", rootfs, "true"}, "--hostname"},
		{[]string{"run", "--rm", "--hostname", strings.Repeat("h", 300), "--rootfs", rootfs, "true"}, "--hostname"},
		{[]string{"run", "--rm", "--rootfs", "/nonexistent", "true"}, "--rootfs"},
		{[]string{"spec", "--cgroups-path", "relative/x", "true"}, "--cgroups-path"},
		{[]string{"stop", "-t", "abc", "x"}, `-t "abc": must be a whole number`},
		{[]string{"--image-store", store, "image", "import", "oci:" + testutil.TestImageOCIDir(t), "../../x"}, "image name"},
		{[]string{"volume", "create", "v", "--portal", "127.0.0.1:3260", "--iqn", "iqn.2025-13.io.x:v", "--lun", "1"}, "--iqn"},
		{[]string{"volume", "create", "v", "--portal", "127.0.0.1:3260", "--iqn", "iqn.2025-01.io.x:v", "--lun", "-5"}, "--lun -5"},
		{[]string{"volume", "create", "v", "--portal", "127.0.0.1:3260", "--portal", "127.0.0.1:3260", "--iqn", "iqn.2025-01.io.x:v", "--lun", "1"}, "--portal \"127.0.0.1:3260\": given twice"},
		{[]string{"volume", "create", "v", "--portal", "127.0.0.1:3260", "--portal", "nohost", "--iqn", "iqn.2025-01.io.x:v", "--lun", "1"}, "--portal \"nohost\": must be HOST:PORT"},
		{[]string{"volume", "rm", "nosuch"}, "nosuch"},
		{[]string{"volume", "publish", "nosuch", "--initiator", "iqn.2025-01.io.x:a"}, "nosuch"},
		{[]string{"volume", "unpublish", "nosuch", "--initiator", "iqn.2025-01.io.x:a"}, "nosuch"},
		{[]string{"volume", "reconcile", "nosuch"}, "nosuch"},
		{[]string{"run", "--rm", "-v", "novol:/x", "--rootfs", rootfs, "true"}, "novol"},
		{[]string{"run", "--rm", "--mount", "type=volume,source=ghost,target=/x", "--rootfs", rootfs, "true"}, "ghost"},
		{[]string{"--image-store", store, "run", "--cgroup-parent", c.Parent, "--rm", "--signature-policy", "/nonexistent/policy.json", "oci:" + testutil.TestImageOCIDir(t), "true"}, `--signature-policy "/nonexistent/policy.json"`},
		{[]string{"--image-store", store, "pull", "--signature-policy", badPolicy, "oci:" + testutil.TestImageOCIDir(t)}, "--signature-policy"},
		{[]string{"--image-store", store, "pull", "--cert-dir", "/nonexistent", "docker://127.0.0.1:1/x:1"}, `--cert-dir "/nonexistent": must be a directory`},
		{[]string{"login", "-u", "u", "-p", "secret-in-argv", "127.0.0.1:1"}, "--password: refused"},
		{[]string{"login", "--password-stdin", "127.0.0.1:1"}, "--username"},
	} {
		args := tc.args
		if args[0] == "run" {
			args = append([]string{"run", "--cgroup-parent", c.Parent}, args[1:]...)
		}
		r := c.Cmd(args...)
		if r.Code != 125 || strings.Contains(r.Stderr, "\n") || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%q: %s; want exit 125 and one line naming %s", tc.args, r, tc.want)
		}
	}
	if ps := c.Cmd("ps", "-a", "-q"); ps.Stdout != "" {
		t.Errorf("containers left: %s", ps)
	}
	if left := c.Leftovers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if ents, _ := os.ReadDir(vols); len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("volume directory entries left: %v", names)
	}
	if imgs := c.Cmd("--image-store", store, "images", "-q"); imgs.Stdout != "" {
		t.Errorf("images stored: %s", imgs)
	}
	if ents, _ := os.ReadDir(filepath.Join(store, "tmp")); len(ents) > 0 {
		t.Errorf("store tmp/ entries left: %d", len(ents))
	}
}
