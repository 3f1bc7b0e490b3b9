package testutil

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// DefaultBridge is the bridge of cgrun's default network.
const DefaultBridge = "cgrun0"

// IsolateNetworks points every cgrun the tests run at CNI directories of
// their own (CGRUN_CNI_CONFIG_DIR, CGRUN_CNI_STATE_DIR), so no test writes
// the host's /etc/cni/net.d, and makes --network none the default
// (CGRUN_NETWORK): each CNI start execs plugins and iptables for hundreds
// of milliseconds (seconds under the VM lane's emulation), and only the
// network tests need a network; they name one. The returned func removes
// the default network if a test made it (and so its bridge), then the
// directories.
func IsolateNetworks() func() error {
	dir, err := os.MkdirTemp("", "cgrun-cni-")
	if err != nil {
		panic(err)
	}
	_, bridgeMissing := net.InterfaceByName(DefaultBridge)
	os.Setenv("CGRUN_CNI_CONFIG_DIR", filepath.Join(dir, "net.d"))
	os.Setenv("CGRUN_CNI_STATE_DIR", filepath.Join(dir, "state"))
	os.Setenv("CGRUN_NETWORK", "none")
	return func() error {
		var err error
		if _, e := os.Stat(filepath.Join(dir, "net.d", "cgrun-cgrun.conflist")); e == nil && bridgeMissing != nil { // made by a test
			if bin := os.Getenv("CGRUN_BIN"); bin != "" {
				if out, e := exec.Command(bin, "network", "rm", "cgrun").CombinedOutput(); e != nil {
					err = fmt.Errorf("remove the default network: %v: %s", e, out)
				}
			}
		}
		if e := os.RemoveAll(dir); e != nil && err == nil {
			err = e
		}
		return err
	}
}

// CNIStateDir is the network state directory IsolateNetworks set.
func CNIStateDir() string { return os.Getenv("CGRUN_CNI_STATE_DIR") }

// Net is a bridge network a test created (`cgrun network create`) with a
// bridge and a subnet of its own; its cleanup removes it.
type Net struct {
	Name, Bridge, Subnet, Gateway string
}

// NewNet creates a network for the test: name cgt-RANDOM, bridge of that
// name, a free 10.89.N.0/24 chosen by cgrun.
func NewNet(t testing.TB, c *Cgrun) *Net {
	t.Helper()
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "cgt-" + hex.EncodeToString(b[:])
	r := c.Cmd("network", "create", "--bridge", name, name)
	if r.Code != 0 {
		t.Fatalf("network create: %s", r)
	}
	n := &Net{Name: name, Bridge: name}
	r = c.Cmd("network", "inspect", name)
	var info []struct{ Subnet, Gateway string }
	if err := json.Unmarshal([]byte(r.Stdout), &info); err != nil || len(info) != 1 {
		t.Fatalf("network inspect %s: %s", name, r)
	}
	n.Subnet, n.Gateway = info[0].Subnet, info[0].Gateway
	t.Cleanup(func() {
		if r := c.Cmd("network", "rm", name); r.Code != 0 {
			t.Errorf("network rm %s: %s", name, r)
		}
		if _, err := net.InterfaceByName(name); err == nil {
			t.Errorf("bridge %s left after network rm", name)
		}
	})
	return n
}

// NetworkLeftovers lists what networking left behind for containers ids on
// network n: veths on its bridge, address leases, iptables rules naming a
// container, attachments, pinned namespaces under the harness's root.
func (c *Cgrun) NetworkLeftovers(n *Net, ids ...string) []string {
	var left []string
	if out, err := exec.Command("ip", "-o", "link", "show", "master", n.Bridge).Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
		left = append(left, "veth on "+n.Bridge+": "+strings.TrimSpace(string(out)))
	}
	leases, _ := os.ReadDir(filepath.Join(CNIStateDir(), "ipam", n.Name))
	for _, l := range leases {
		if net.ParseIP(l.Name()) != nil {
			left = append(left, "lease "+l.Name())
		}
	}
	if out, err := exec.Command("iptables-save").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			for _, id := range ids {
				if id != "" && strings.Contains(line, id) {
					left = append(left, "iptables: "+line)
				}
			}
		}
	}
	atts, _ := os.ReadDir(filepath.Join(CNIStateDir(), "attachments"))
	for _, a := range atts {
		for _, id := range ids {
			if strings.HasPrefix(a.Name(), id) {
				left = append(left, "attachment "+a.Name())
			}
		}
	}
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(mi), "\n") {
			if strings.Contains(line, " nsfs ") && strings.Contains(line, c.Root) {
				left = append(left, "pinned namespace: "+line)
			}
		}
	}
	return left
}
