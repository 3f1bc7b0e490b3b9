package network

import (
	"net"
	"testing"
)

// FuzzParsePorts: -p never panics, and an accepted mapping has ports and a
// protocol; with a host port given (no free one chosen) the parse is
// deterministic.
func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"8080:80", "127.0.0.1:8080:80/udp", "8080-8081:80-81", "[::1]:1:2", "1-65535:1-65535", "::", "a:b:c:d", "0:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePorts(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.HostPort == 0 || p.ContainerPort == 0 || (p.Protocol != "tcp" && p.Protocol != "udp") ||
				(p.HostIP != "" && net.ParseIP(p.HostIP) == nil) {
				t.Fatalf("ParsePorts(%q) = %+v", s, p)
			}
		}
	})
}

// FuzzParseExtraHost: --add-host never panics and accepts only NAME:IP.
func FuzzParseExtraHost(f *testing.F) {
	for _, s := range []string{"db:10.0.0.1", "v6:[fd00::1]", "x:", ":1.2.3.4", "a b:1.1.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, ip, err := ParseExtraHost(s)
		if err == nil && (name == "" || net.ParseIP(ip) == nil) {
			t.Fatalf("ParseExtraHost(%q) = %q, %q", s, name, ip)
		}
	})
}
