package network

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Files are a container's /etc/resolv.conf, /etc/hosts and /etc/hostname.
type Files struct {
	Hostname string
	// IPs are the container's addresses, mapped to Hostname in /etc/hosts.
	IPs []string
	// DNS, DNSSearch and DNSOptions replace the host's nameservers, search
	// domains and options (Docker's --dns, --dns-search, --dns-option).
	DNS, DNSSearch, DNSOptions []string
	// ExtraHosts are NAME:IP lines added to /etc/hosts (--add-host).
	ExtraHosts []string
	// HostNetwork: the container shares the host's network, so loopback
	// nameservers stay and /etc/hosts starts from the host's.
	HostNetwork bool
	// HostResolvConf and HostHosts are the host's files (default
	// /etc/resolv.conf, /etc/hosts).
	HostResolvConf, HostHosts string
}

// The container paths of the files, and the file names Write uses.
var fileNames = map[string]string{"/etc/resolv.conf": "resolv.conf", "/etc/hosts": "hosts", "/etc/hostname": "hostname"}

// Write writes the three files into dir (0644) and returns their paths
// by the container path each is to be mounted at.
func (f Files) Write(dir string) (map[string]string, error) {
	resolv, err := f.resolvConf()
	if err != nil {
		return nil, err
	}
	hosts, err := f.hosts()
	if err != nil {
		return nil, err
	}
	content := map[string][]byte{"/etc/resolv.conf": resolv, "/etc/hosts": hosts, "/etc/hostname": []byte(f.Hostname + "\n")}
	out := map[string]string{}
	for ctr, name := range fileNames {
		p := filepath.Join(dir, name)
		if err := writeFileAtomic(p, content[ctr], 0o644); err != nil {
			return nil, err
		}
		out[ctr] = p
	}
	return out, nil
}

// resolvConf is the host's resolv.conf with the loopback nameservers
// dropped (they answer only in the host's network namespace), as Docker
// does: when none is left, systemd-resolved's upstream file is read, and
// when still none, Docker's defaults 8.8.8.8 and 8.8.4.4. DNS, DNSSearch
// and DNSOptions replace what the host says.
func (f Files) resolvConf() ([]byte, error) {
	path := f.HostResolvConf
	if path == "" {
		path = "/etc/resolv.conf"
	}
	ns, search, opts, err := readResolvConf(path)
	if err != nil {
		return nil, err
	}
	if !f.HostNetwork {
		ns = withoutLoopback(ns)
		if len(ns) == 0 && f.HostResolvConf == "" {
			if up, s2, o2, err := readResolvConf("/run/systemd/resolve/resolv.conf"); err == nil {
				ns, search, opts = withoutLoopback(up), s2, o2
			}
		}
		if len(ns) == 0 {
			ns = []string{"8.8.8.8", "8.8.4.4"}
		}
	}
	if len(f.DNS) > 0 {
		ns = f.DNS
	}
	if len(f.DNSSearch) > 0 {
		search = f.DNSSearch
	}
	if len(f.DNSOptions) > 0 {
		opts = f.DNSOptions
	}
	var b bytes.Buffer
	for _, n := range ns {
		fmt.Fprintf(&b, "nameserver %s\n", n)
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	if len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return b.Bytes(), nil
}

// readResolvConf reads nameservers, search domains and options; a missing
// file has none.
func readResolvConf(path string) (ns, search, opts []string, err error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			ns = append(ns, f[1])
		case "search", "domain":
			search = f[1:]
		case "options":
			opts = append(opts, f[1:]...)
		}
	}
	return ns, search, opts, nil
}

func withoutLoopback(ns []string) []string {
	var out []string
	for _, n := range ns {
		if ip := net.ParseIP(strings.Split(n, "%")[0]); ip != nil && ip.IsLoopback() {
			continue
		}
		out = append(out, n)
	}
	return out
}

// hosts is localhost, the container's addresses under its hostname, and
// the extra hosts; on the host's network, the host's file comes first.
func (f Files) hosts() ([]byte, error) {
	var b bytes.Buffer
	if f.HostNetwork {
		path := f.HostHosts
		if path == "" {
			path = "/etc/hosts"
		}
		host, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		b.Write(host)
		if len(host) > 0 && host[len(host)-1] != '\n' {
			b.WriteByte('\n')
		}
	} else {
		b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
		b.WriteString("fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	}
	for _, ip := range f.IPs {
		fmt.Fprintf(&b, "%s\t%s\n", ip, f.Hostname)
	}
	for _, h := range f.ExtraHosts {
		name, ip, err := ParseExtraHost(h)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, name)
	}
	return b.Bytes(), nil
}

// ParseExtraHost reads NAME:IP (Docker's --add-host; an IPv6 address may
// hold colons, NAME may not).
func ParseExtraHost(s string) (string, string, error) {
	name, ip, ok := strings.Cut(s, ":")
	ip = strings.Trim(ip, "[]")
	if !ok || name == "" || strings.ContainsAny(name, " \t\n") || net.ParseIP(ip) == nil {
		return "", "", kindf(ErrInvalid, "extra host %q: must be NAME:IP", s)
	}
	return name, ip, nil
}
