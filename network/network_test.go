package network

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePorts(t *testing.T) {
	for in, want := range map[string][]PortMapping{
		"8080:80":           {{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}},
		"127.0.0.1:8080:80": {{HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "127.0.0.1"}},
		"53:53/udp":         {{HostPort: 53, ContainerPort: 53, Protocol: "udp"}},
		"8080-8081:80-81/TCP": {
			{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {HostPort: 8081, ContainerPort: 81, Protocol: "tcp"},
		},
		"[::1]:8080:80": {{HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "::1"}},
	} {
		got, err := ParsePorts(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	free, err := ParsePorts("127.0.0.1::80")
	require.NoError(t, err)
	require.Len(t, free, 1)
	require.NotZero(t, free[0].HostPort, "a free host port is chosen")
	require.Equal(t, uint16(80), free[0].ContainerPort)
	for _, bad := range []string{"", "x:80", "8080:80/sctp", "1:2:3:4", "nope:8080:80", "8080-8082:80-81", "0:80", "70000:80", "80-79:80"} {
		_, err := ParsePorts(bad)
		require.ErrorIs(t, err, ErrInvalid, bad)
	}
}

func TestPortConflicts(t *testing.T) {
	a := PortMapping{HostPort: 8080, Protocol: "tcp"}
	require.True(t, conflicts(a, PortMapping{HostPort: 8080, Protocol: "tcp", HostIP: "127.0.0.1"}))
	require.False(t, conflicts(a, PortMapping{HostPort: 8080, Protocol: "udp"}))
	require.False(t, conflicts(PortMapping{HostPort: 1, Protocol: "tcp", HostIP: "127.0.0.1"}, PortMapping{HostPort: 1, Protocol: "tcp", HostIP: "127.0.0.2"}))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	held := PortMapping{HostPort: uint16(l.Addr().(*net.TCPAddr).Port), Protocol: "tcp", HostIP: "127.0.0.1"}
	require.False(t, hostPortFree(held), "a listening socket holds it")
	m := NewManager(Options{ConfDir: t.TempDir(), StateDir: t.TempDir()})
	err = m.record(Attachment{ContainerID: "c1", Ports: []PortMapping{held}})
	var pe *PortError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, ErrPortInUse)
	require.Empty(t, pe.Holder)

	free := PortMapping{HostPort: 1, Protocol: "udp", HostIP: "127.0.0.1"}
	require.NoError(t, m.record(Attachment{ContainerID: strings.Repeat("a", 64), Ports: []PortMapping{free}}))
	err = m.record(Attachment{ContainerID: "c2", Ports: []PortMapping{free}})
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "host port 127.0.0.1:1/udp is published by container aaaaaaaaaaaa: port is already allocated", err.Error())
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "host-resolv.conf")
	require.NoError(t, os.WriteFile(host, []byte("# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.org\noptions edns0 trust-ad\n"), 0o644))
	f := Files{Hostname: "box", IPs: []string{"10.89.0.5"}, ExtraHosts: []string{"db:10.0.0.9", "v6:[fd00::1]"}, HostResolvConf: host}
	paths, err := f.Write(dir)
	require.NoError(t, err)
	read := func(ctr string) string {
		b, err := os.ReadFile(paths[ctr])
		require.NoError(t, err)
		return string(b)
	}
	require.Equal(t, "nameserver 192.0.2.53\nsearch example.org\noptions edns0 trust-ad\n", read("/etc/resolv.conf"), "loopback dropped")
	require.Contains(t, read("/etc/hosts"), "127.0.0.1\tlocalhost\n")
	require.Contains(t, read("/etc/hosts"), "10.89.0.5\tbox\n10.0.0.9\tdb\nfd00::1\tv6\n")
	require.Equal(t, "box\n", read("/etc/hostname"))

	f.DNS, f.DNSSearch, f.DNSOptions = []string{"1.1.1.1"}, []string{"a.test", "b.test"}, []string{"ndots:2"}
	paths, err = f.Write(dir)
	require.NoError(t, err)
	require.Equal(t, "nameserver 1.1.1.1\nsearch a.test b.test\noptions ndots:2\n", read("/etc/resolv.conf"))

	require.NoError(t, os.WriteFile(host, []byte("nameserver 127.0.0.1\n"), 0o644))
	f = Files{Hostname: "box", HostResolvConf: host}
	paths, err = f.Write(dir)
	require.NoError(t, err)
	require.Equal(t, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n", read("/etc/resolv.conf"), "Docker's defaults when only loopback is left")
	f.HostNetwork = true
	paths, err = f.Write(dir)
	require.NoError(t, err)
	require.Equal(t, "nameserver 127.0.0.1\n", read("/etc/resolv.conf"), "the host's network keeps its loopback resolver")

	_, err = Files{Hostname: "x", ExtraHosts: []string{"noip"}, HostResolvConf: host}.Write(dir)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestCreateListRemove(t *testing.T) {
	m := NewManager(Options{ConfDir: t.TempDir(), StateDir: t.TempDir()})
	n, err := m.Create("one", CreateOptions{Subnet: "10.199.7.0/24", Bridge: "cgrun-t-one"})
	require.NoError(t, err)
	require.Equal(t, &Network{Name: "one", File: filepath.Join(m.opts.ConfDir, "cgrun-one.conflist"), Plugins: []string{"bridge", "portmap", "firewall"},
		Bridge: "cgrun-t-one", Subnet: "10.199.7.0/24", Gateway: "10.199.7.1", Cgrun: true}, n)
	_, err = m.Create("one", CreateOptions{})
	require.ErrorIs(t, err, ErrExists)
	_, err = m.Create("two", CreateOptions{Subnet: "10.199.7.128/25"})
	require.ErrorIs(t, err, ErrOverlap)
	require.ErrorContains(t, err, "overlaps network one")
	_, err = m.Create("three", CreateOptions{Bridge: "cgrun-t-one"})
	require.ErrorIs(t, err, ErrExists)
	for _, bad := range []CreateOptions{{Subnet: "10.1.2.3"}, {Subnet: "fd00::/64"}, {Subnet: "10.198.0.0/24", Gateway: "10.197.0.1"}, {Bridge: "much-too-long-bridge"}} {
		_, err := m.Create("bad", bad)
		require.ErrorIs(t, err, ErrInvalid, "%+v", bad)
	}
	for _, bad := range []string{"none", "host", "container:x", "-x", strings.Repeat("n", 65)} {
		_, err := m.Create(bad, CreateOptions{})
		require.ErrorIs(t, err, ErrInvalid, bad)
	}
	d, err := m.EnsureDefault()
	require.NoError(t, err)
	require.Equal(t, DefaultBridge, d.Bridge)
	require.True(t, strings.HasPrefix(d.Subnet, "10.89."), d.Subnet)
	again, err := m.EnsureDefault()
	require.NoError(t, err)
	require.Equal(t, d, again, "written once")
	list, err := m.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, []string{"cgrun", "one"}, []string{list[0].Name, list[1].Name})

	require.NoError(t, m.record(Attachment{ContainerID: "c1", Networks: []string{"one"}}))
	err = m.Remove("one")
	var ue *UsersError
	require.True(t, errors.As(err, &ue) && ue.Containers[0] == "c1", "%v", err)
	require.NoError(t, os.Remove(m.attachmentPath("c1")))
	require.NoError(t, m.Remove("one"))
	_, err = m.Get("one")
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, m.Remove(DefaultNetwork))
}
