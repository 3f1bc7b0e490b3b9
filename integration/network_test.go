package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cgrun/cgrun/integration/testutil"
)

// Networking through CNI (both lanes): published ports answer a real HTTP
// client, containers reach the host and each other, none and host are
// what they say, the DNS files are as Docker writes them, and nothing of
// a network attachment is left after any exit path, a SIGKILL included.

// httpdCmd serves WORD at / on port 80 with busybox httpd.
func httpdCmd(word string) []string {
	return []string{"sh", "-c", "mkdir -p /tmp/www && echo " + word + " > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www"}
}

// freeHostPort is a TCP port nothing listens on now.
func freeHostPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// httpGet fetches url with a real client (curl), retrying until the
// server is up (at most about 20 s).
func httpGet(t *testing.T, url string) string {
	t.Helper()
	var out []byte
	var err error
	for i := 0; i < 100; i++ {
		out, err = exec.Command("curl", "-sS", "--max-time", "5", url).CombinedOutput()
		if err == nil {
			return strings.TrimSpace(string(out))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("curl %s: %v: %s", url, err, out)
	return ""
}

type netInspected struct {
	ID      string `json:"id"`
	Network struct {
		Endpoints []struct{ Network, Interface, IP, Gateway, MAC string } `json:"endpoints"`
		Ports     []struct {
			HostPort, ContainerPort int
			Protocol                string
		} `json:"ports"`
	} `json:"network"`
}

func inspectNet(t *testing.T, c *testutil.Cgrun, ref string) netInspected {
	t.Helper()
	r := c.Cmd("inspect", ref)
	var info []netInspected
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &info) != nil || len(info) != 1 {
		t.Fatalf("inspect %s: %s", ref, r)
	}
	return info[0]
}

func noNetworkLeftovers(t *testing.T, c *testutil.Cgrun, n *testutil.Net, ids ...string) {
	t.Helper()
	if left := c.NetworkLeftovers(n, ids...); len(left) > 0 {
		t.Errorf("network leftovers: %v", left)
	}
	if left := c.Leftovers(); len(left) > 0 {
		t.Errorf("container leftovers: %v", left)
	}
}

// The issue's own check: `cgrun run -d -p HOSTPORT:80 IMAGE httpd -f -p 80`
// on the default network is answered by curl on 127.0.0.1:HOSTPORT; ps
// and inspect show the port and the address; rm -f leaves nothing.
func TestPublishDefaultNetwork(t *testing.T) {
	testutil.RequireCommand(t, "curl", "curl")
	c := testutil.NewCgrun(t)
	if _, err := net.InterfaceByName(testutil.DefaultBridge); err == nil && !testutil.InCI() {
		t.Skip("bridge cgrun0 exists already (a cgrun installed on this host): the default network test would share it")
	}
	port := freeHostPort(t)
	r := c.Run([]string{"-d", "--network", "bridge", "-p", fmt.Sprintf("%d:80", port)}, httpdCmd("hello-from-cgrun")...)
	if r.Code != 0 {
		t.Fatalf("run -d -p: %s", r)
	}
	id := r.Stdout
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "hello-from-cgrun" {
		t.Fatalf("curl: %q", got)
	}
	in := inspectNet(t, c, id)
	if len(in.Network.Endpoints) != 1 || in.Network.Endpoints[0].Network != "cgrun" || !strings.HasPrefix(in.Network.Endpoints[0].IP, "10.89.") ||
		in.Network.Endpoints[0].MAC == "" || in.Network.Endpoints[0].Gateway == "" {
		t.Errorf("inspect network: %+v", in.Network)
	}
	if ps := c.Cmd("ps"); !strings.Contains(ps.Stdout, fmt.Sprintf("0.0.0.0:%d->80/tcp", port)) {
		t.Errorf("ps shows no port: %s", ps)
	}
	if r := c.Cmd("rm", "-f", id); r.Code != 0 {
		t.Fatalf("rm -f: %s", r)
	}
	n := &testutil.Net{Name: "cgrun", Bridge: testutil.DefaultBridge}
	noNetworkLeftovers(t, c, n, id)
	if _, err := exec.Command("curl", "-sS", "--max-time", "2", fmt.Sprintf("http://127.0.0.1:%d/", port)).CombinedOutput(); err == nil {
		t.Error("the port still answers after rm -f")
	}
}

// A named network: foreground --rm, detached and monitor, the host reached
// through the gateway, two containers reaching each other, the DNS files.
func TestNetworkPaths(t *testing.T) {
	c := testutil.NewCgrun(t)
	n := testutil.NewNet(t, c)

	// The host serves (on every address: the bridge and its gateway
	// address appear with the first container); a container reaches it at
	// the gateway.
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "from-the-host") })}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	url := fmt.Sprintf("http://%s:%d/", n.Gateway, l.Addr().(*net.TCPAddr).Port)
	r := c.Run([]string{"--rm", "--network", n.Name}, "wget", "-qO-", url)
	if r.Code != 0 || r.Stdout != "from-the-host" {
		t.Fatalf("container -> host via the gateway: %s", r)
	}

	// Two containers on one network reach each other.
	srvID := c.Run([]string{"-d", "--network", n.Name}, httpdCmd("from-a-container")...)
	if srvID.Code != 0 {
		t.Fatalf("run -d: %s", srvID)
	}
	ip := strings.Split(inspectNet(t, c, srvID.Stdout).Network.Endpoints[0].IP, "/")[0]
	var got testutil.Result
	for i := 0; i < 50; i++ {
		if got = c.Run([]string{"--rm", "--network", n.Name}, "wget", "-qO-", "http://"+ip+"/"); got.Code == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got.Stdout != "from-a-container" {
		t.Fatalf("container -> container at %s: %s", ip, got)
	}

	// The files: resolv.conf from --dns*, hosts with the address, the
	// hostname and --add-host, hostname.
	r = c.Run([]string{"--rm", "--network", n.Name, "--hostname", "web", "--dns", "192.0.2.53", "--dns-search", "example.test",
		"--dns-option", "ndots:2", "--add-host", "db:192.0.2.7"}, "sh", "-c",
		"cat /etc/resolv.conf; grep -E 'web|db' /etc/hosts; cat /etc/hostname; hostname")
	want := "nameserver 192.0.2.53\nsearch example.test\noptions ndots:2\n"
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, want) || !strings.Contains(r.Stdout, "\tweb\n192.0.2.7\tdb\nweb\nweb") {
		t.Fatalf("DNS files: %s", r)
	}

	// The detached server goes through its monitor: stop, then rm.
	if r := c.Cmd("stop", "-t", "1", srvID.Stdout); r.Code != 0 {
		t.Fatalf("stop: %s", r)
	}
	if r := c.Cmd("rm", srvID.Stdout); r.Code != 0 {
		t.Fatalf("rm: %s", r)
	}
	noNetworkLeftovers(t, c, n, srvID.Stdout)
}

// none has loopback only; host sees the host's interfaces.
func TestNetworkNoneAndHost(t *testing.T) {
	c := testutil.NewCgrun(t)
	r := c.Run([]string{"--rm", "--network", "none"}, "sh", "-c", "ls /sys/class/net")
	if r.Code != 0 || r.Stdout != "lo" {
		t.Fatalf("--network none: %s, want lo alone", r)
	}
	hostIfs, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range hostIfs {
		names = append(names, e.Name())
	}
	r = c.Run([]string{"--rm", "--network", "host"}, "sh", "-c", "ls /sys/class/net | tr '\\n' ' '")
	if r.Code != 0 || strings.Fields(r.Stdout) == nil || strings.Join(strings.Fields(r.Stdout), " ") != strings.Join(names, " ") {
		t.Fatalf("--network host: %s, want the host's %v", r, names)
	}
	if r := c.Run([]string{"--rm", "--network", "host"}, "grep", "-c", "localhost", "/etc/hosts"); r.Code != 0 {
		t.Errorf("--network host: no localhost in /etc/hosts: %s", r)
	}
}

// container:NAME joins a running container's namespace.
func TestNetworkContainerMode(t *testing.T) {
	c := testutil.NewCgrun(t)
	n := testutil.NewNet(t, c)
	a := c.Run([]string{"-d", "--name", "netowner", "--network", n.Name}, "sleep", "600")
	if a.Code != 0 {
		t.Fatalf("run -d: %s", a)
	}
	ip := strings.Split(inspectNet(t, c, "netowner").Network.Endpoints[0].IP, "/")[0]
	r := c.Run([]string{"--rm", "--network", "container:netowner"}, "sh", "-c", "ip -o -4 addr show eth0")
	if r.Code != 0 || !strings.Contains(r.Stdout, " "+ip+"/") {
		t.Fatalf("container:netowner sees %s, want %s", r, ip)
	}
	c.Cmd("rm", "-f", a.Stdout)
	if r := c.Run([]string{"--rm", "--network", "container:netowner"}, "true"); r.Code != 125 || strings.Contains(r.Stderr, "\n") {
		t.Errorf("container: naming a removed container: %s", r)
	}
	noNetworkLeftovers(t, c, n, a.Stdout)
}

// Bad input: exit 125, one line, nothing left.
func TestNetworkRefusals(t *testing.T) {
	c := testutil.NewCgrun(t)
	n := testutil.NewNet(t, c)
	held, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldPort := strconv.Itoa(held.Addr().(*net.TCPAddr).Port)
	stopped := c.Run([]string{"--name", "stopped"}, "true")
	if stopped.Code != 0 {
		t.Fatalf("run: %s", stopped)
	}
	for _, flags := range [][]string{
		{"--network", n.Name, "-p", "0:80"},
		{"--network", n.Name, "-p", "x:80"},
		{"--network", n.Name, "-p", "8080:80/sctp"},
		{"--network", n.Name, "-p", heldPort + ":80"},
		{"--network", "no-such-net"},
		{"--network", "host", "-p", "8080:80"},
		{"--network", "none", "-p", "8080:80"},
		{"--network", "container:stopped"},
		{"--network", n.Name, "--add-host", "nocolon"},
	} {
		r := c.Run(append([]string{"--rm"}, flags...), "true")
		if r.Code != 125 || r.Stderr == "" || strings.Contains(r.Stderr, "\n") {
			t.Errorf("%v: want exit 125 and one line, got %s", flags, r)
		}
	}
	c.Cmd("rm", "stopped")
	for _, args := range [][]string{
		{"network", "create", n.Name},
		{"network", "create", "--subnet", n.Subnet, "overlapping"},
		{"network", "create", "--subnet", "not-a-cidr", "bad"},
		{"network", "rm", "no-such-net"},
	} {
		if r := c.Cmd(args...); r.Code != 125 || strings.Contains(r.Stderr, "\n") {
			t.Errorf("%v: want exit 125 and one line, got %s", args, r)
		}
	}
	noNetworkLeftovers(t, c, n)
}

// cgrun killed after it set up the network: its supervisor's adopter
// releases the network and removes the container, and run exits 125; with
// the supervisor killed too, the next cgrun command (ps) does.
func TestNetworkSIGKILLThenRemove(t *testing.T) {
	for _, fault := range []string{"runner", "runner and supervisor"} {
		t.Run(fault, func(t *testing.T) {
			c := testutil.NewCgrun(t)
			n := testutil.NewNet(t, c)
			p := c.StartPaused("network", "run", "--rm", "--cgroup-parent", c.Parent, "--network", n.Name,
				"-p", fmt.Sprintf("%d:80", freeHostPort(t)), testutil.Image(t), "true")
			all := c.Cmd("ps", "-a", "--format", "json")
			var entries []struct{ ID string }
			if err := json.Unmarshal([]byte(all.Stdout), &entries); err != nil || len(entries) != 1 {
				t.Fatalf("paused: want one container, got %s", all)
			}
			id := entries[0].ID
			if len(c.NetworkLeftovers(n, id)) == 0 {
				t.Fatal("the network was not set up before the pause: the test proves nothing")
			}
			if fault == "runner" {
				p.KillRunner()
				if r := p.Wait(time.Minute); r.Code != 125 || !strings.Contains(r.Stderr, "died before it started") {
					t.Errorf("run after its runner died: %s", r)
				}
			} else {
				p.KillSupervisor()
				p.KillRunner()
				p.Wait(time.Minute)
			}
			if r := c.Cmd("ps", "-a", "-q"); r.Code != 0 || r.Stdout != "" {
				t.Errorf("ps -a after the fault: %s", r)
			}
			noNetworkLeftovers(t, c, n, id)
			if left := c.Leftovers(); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// 50 concurrent starts on one network get 50 distinct addresses. CNI
// calls on a network are serialized: under the VM lane's emulation the
// last start waits minutes.
func TestNetworkConcurrentStarts(t *testing.T) {
	c := testutil.NewCgrun(t)
	c.Timeout = 8 * time.Minute
	n := testutil.NewNet(t, c)
	starts := 50
	if testutil.InVM() { // 50 take 200 s under emulation; the host lane runs 50
		starts = 16
	}
	var wg sync.WaitGroup
	results := make([]testutil.Result, starts)
	for i := 0; i < starts; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = c.Run([]string{"--rm", "--network", n.Name}, "sh", "-c", "ip -o -4 addr show eth0 | awk '{print $4}'")
		}(i)
	}
	wg.Wait()
	seen := map[string]int{}
	for i, r := range results {
		if r.Code != 0 || r.Stdout == "" {
			t.Errorf("start %d: %s", i, r)
			continue
		}
		if j, dup := seen[r.Stdout]; dup {
			t.Errorf("starts %d and %d both got %s", j, i, r.Stdout)
		}
		seen[r.Stdout] = i
	}
	if len(seen) != starts {
		t.Errorf("%d distinct addresses for %d starts", len(seen), starts)
	}
	noNetworkLeftovers(t, c, n)
}
