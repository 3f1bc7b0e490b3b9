package network

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// PortMapping publishes a container port on the host, through the portmap
// plugin (its capability argument "portMappings" has these fields).
type PortMapping struct {
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	Protocol      string `json:"protocol"`         // tcp or udp
	HostIP        string `json:"hostIP,omitempty"` // "" is every address
}

func (p PortMapping) String() string {
	s := strconv.Itoa(int(p.HostPort)) + "->" + strconv.Itoa(int(p.ContainerPort)) + "/" + p.Protocol
	if p.HostIP != "" {
		return net.JoinHostPort(p.HostIP, s)
	}
	return "0.0.0.0:" + s
}

func (p PortMapping) hostAddr() string {
	host := p.HostIP
	if host == "" {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, strconv.Itoa(int(p.HostPort))) + "/" + p.Protocol
}

// ParsePorts reads Docker's publish syntax
// [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], where either port may be a
// range (8080-8081:80-81, of equal lengths); a HOSTPORT left out (80, or
// 127.0.0.1::80) is a free port chosen now. The error says the rule, not
// the flag.
func ParsePorts(s string) ([]PortMapping, error) {
	bad := func(format string, a ...any) ([]PortMapping, error) {
		return nil, kindf(ErrInvalid, format, a...)
	}
	spec, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" {
		return bad("protocol %q: must be tcp or udp", proto)
	}
	var hostIP, hostPart, ctrPart string
	switch parts := strings.Split(spec, ":"); len(parts) {
	case 1:
		ctrPart = parts[0]
	case 2:
		hostPart, ctrPart = parts[0], parts[1]
	case 3:
		hostIP, hostPart, ctrPart = parts[0], parts[1], parts[2]
	default:
		// an IPv6 host address in brackets: [::1]:8080:80
		i := strings.LastIndex(spec, "]:")
		if !strings.HasPrefix(spec, "[") || i < 0 {
			return bad("must be [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]")
		}
		hostIP = spec[1:i]
		rest := strings.SplitN(spec[i+2:], ":", 2)
		if len(rest) != 2 {
			return bad("must be [HOSTIP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]")
		}
		hostPart, ctrPart = rest[0], rest[1]
	}
	hostIP = strings.Trim(hostIP, "[]")
	if hostIP != "" && net.ParseIP(hostIP) == nil {
		return bad("host address %q is not an IP address", hostIP)
	}
	clo, chi, err := portRange(ctrPart)
	if err != nil {
		return bad("container port %q: %v", ctrPart, err)
	}
	var out []PortMapping
	if hostPart == "" {
		if chi-clo >= maxFreePorts {
			return bad("container ports %s: more than %d ports need their host ports given", ctrPart, maxFreePorts)
		}
		for c := int(clo); c <= int(chi); c++ {
			p, err := freePort(hostIP, proto)
			if err != nil {
				return nil, err
			}
			out = append(out, PortMapping{HostPort: p, ContainerPort: uint16(c), Protocol: proto, HostIP: hostIP})
		}
		return out, nil
	}
	hlo, hhi, err := portRange(hostPart)
	if err != nil {
		return bad("host port %q: %v", hostPart, err)
	}
	if hhi-hlo != chi-clo {
		return bad("host ports %s and container ports %s: ranges must be of equal length", hostPart, ctrPart)
	}
	for i := 0; i <= int(chi-clo); i++ {
		out = append(out, PortMapping{HostPort: hlo + uint16(i), ContainerPort: clo + uint16(i), Protocol: proto, HostIP: hostIP})
	}
	return out, nil
}

// maxFreePorts bounds a range published on free host ports (each is
// found by binding a socket).
const maxFreePorts = 256

func portRange(s string) (uint16, uint16, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	l, err := strconv.ParseUint(lo, 10, 16)
	if err != nil || l == 0 {
		return 0, 0, errors.New("must be a port 1-65535 or a range like 8080-8081")
	}
	h := l
	if isRange {
		if h, err = strconv.ParseUint(hi, 10, 16); err != nil || h < l {
			return 0, 0, errors.New("must be a port 1-65535 or a range like 8080-8081")
		}
	}
	return uint16(l), uint16(h), nil
}

// freePort is a port the kernel gives a new socket on hostIP now.
func freePort(hostIP, proto string) (uint16, error) {
	addr := net.JoinHostPort(hostIP, "0")
	if proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 0, fmt.Errorf("choose a free host port: %w", err)
		}
		defer c.Close()
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("choose a free host port: %w", err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}

// hostPortFree reports whether a socket of the host holds p's host port:
// the kernel refuses a bind to it.
func hostPortFree(p PortMapping) bool {
	addr := net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort)))
	var err error
	if p.Protocol == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket("udp", addr); err == nil {
			c.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			l.Close()
		}
	}
	return !errors.Is(err, syscall.EADDRINUSE)
}

// conflicts reports whether two mappings publish the same host port.
func conflicts(a, b PortMapping) bool {
	return a.HostPort == b.HostPort && a.Protocol == b.Protocol &&
		(a.HostIP == "" || b.HostIP == "" || a.HostIP == b.HostIP)
}
