package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/network"
	"github.com/cgrun/cgrun/spec"
)

// Network modes of Network.Mode besides a network's name.
const (
	// NetworkNone: a private network namespace with loopback only (the
	// library's default: a Request without networking asks for none).
	NetworkNone = "none"
	// NetworkBridge: the default network (network.DefaultNetwork), written
	// on first use (`cgrun run`'s default).
	NetworkBridge = "bridge"
	// NetworkHost: the host's network namespace.
	NetworkHost = "host"
	// NetworkContainerPrefix + ID or name: another running container's
	// network namespace.
	NetworkContainerPrefix = "container:"
)

// Network is how a container is networked: Docker's --network, -p, --dns,
// --dns-search, --dns-option and --add-host.
type Network struct {
	// Mode is NetworkNone ("" too), NetworkBridge, NetworkHost,
	// "container:REF", or the name of a network of the CNI configuration
	// directory.
	Mode string
	// Ports are published on the host (bridge and named networks only).
	Ports []network.PortMapping
	// DNS, DNSSearch and DNSOptions replace the host's resolv.conf entries.
	DNS, DNSSearch, DNSOptions []string
	// ExtraHosts are NAME:IP lines for /etc/hosts.
	ExtraHosts []string
}

// ErrPortsNeedNetwork: ports published where the container shares a
// namespace (host, container:) or has none of its own to publish from.
var ErrPortsNeedNetwork = errors.New("ports are published only from a bridge or named network")

// networkMode sorts a request's Mode: its kind, and the name or reference
// it carries.
func networkMode(mode string) (kind, arg string) {
	switch {
	case mode == "" || mode == NetworkNone:
		return NetworkNone, ""
	case mode == NetworkHost:
		return NetworkHost, ""
	case mode == NetworkBridge:
		return NetworkBridge, network.DefaultNetwork
	case strings.HasPrefix(mode, NetworkContainerPrefix):
		return NetworkContainerPrefix, strings.TrimPrefix(mode, NetworkContainerPrefix)
	}
	return NetworkBridge, mode
}

// checkNetwork checks what needs no container yet: the mode's form, the
// ports and extra hosts, the network's existence, network sysctls on a
// network namespace of the container's own.
func (r *Runner) checkNetwork(n *Network, sysctls map[string]string) error {
	kind, arg := networkMode(n.Mode)
	if kind == NetworkHost || kind == NetworkContainerPrefix {
		for k, v := range sysctls {
			if spec.SysctlNamespace(k) == specs.NetworkNamespace {
				return &container.FieldError{Field: "Sysctls", Value: k + "=" + v,
					Err: fmt.Errorf("the container shares the network namespace of %s, where it cannot set it", n.Mode)}
			}
		}
	}
	if len(n.Ports) > 0 && kind != NetworkBridge {
		return &container.FieldError{Field: "Network.Ports", Value: n.Ports[0].String(), Err: fmt.Errorf("%w, not from %s", ErrPortsNeedNetwork, n.Mode)}
	}
	for _, h := range n.ExtraHosts {
		if _, _, err := network.ParseExtraHost(h); err != nil {
			return &container.FieldError{Field: "Network.ExtraHosts", Value: h, Err: err}
		}
	}
	switch kind {
	case NetworkContainerPrefix:
		if arg == "" {
			return &container.FieldError{Field: "Network.Mode", Value: n.Mode, Err: errors.New("must be container:NAME or container:ID")}
		}
	case NetworkBridge:
		if arg != network.DefaultNetwork {
			if _, err := r.networks().Get(arg); err != nil {
				return &container.FieldError{Field: "Network.Mode", Value: n.Mode, Err: err}
			}
		}
	}
	return nil
}

func (r *Runner) networks() *network.Manager { return network.NewManager(r.opts.Network) }

// setUpNetwork gives the prepared container id its network: for a bridge
// or named network a namespace pinned in its state directory, attached
// through CNI (the release recorded first), its address and ports in the
// state; for every mode the resolv.conf, hosts and hostname files in the
// state directory, bind-mounted into the container.
//
// Modes that acquire nothing (none, host, container:) are done on s
// before it is first recorded (done is true): their files are written and
// s edited in place, which saves the start two reads and a rewrite of the
// state. A bridge or named network needs the recorded container (the
// release goes in first, the namespace in its directory): done is false,
// and attachNetwork attaches it and amends the recorded spec.
func (r *Runner) setUpNetwork(id string, req *Request, s *specs.Spec) (done bool, err error) {
	kind, arg := networkMode(req.Network.Mode)
	if kind == NetworkBridge {
		return false, nil
	}
	files := r.networkFiles(req, s.Hostname)
	var nsPath string
	removeNS := false
	switch kind {
	case NetworkHost:
		removeNS, files.HostNetwork = true, true
		if req.Hostname == "" {
			if h, err := os.Hostname(); err == nil {
				files.Hostname = h
			}
		}
	case NetworkContainerPrefix:
		if nsPath, err = r.joinedNetNS(arg); err != nil {
			return false, &container.FieldError{Field: "Network.Mode", Value: req.Network.Mode, Err: err}
		}
	}
	paths, err := files.Write(r.rt.Store.Dir(id))
	if err != nil {
		return false, err
	}
	networkSpec(s, removeNS, nsPath, paths)
	return true, nil
}

// attachNetwork is setUpNetwork's bridge or named network, for the
// recorded container id.
func (r *Runner) attachNetwork(ctx context.Context, id string, req *Request) error {
	n := req.Network
	_, arg := networkMode(n.Mode)
	st, err := r.rt.Store.Load(id)
	if err != nil {
		return err
	}
	files := r.networkFiles(req, st.Spec.Hostname)
	m := r.networks()
	if arg == network.DefaultNetwork {
		if _, err := m.EnsureDefault(); err != nil {
			return fmt.Errorf("default network: %w", err)
		}
	}
	att := network.Attachment{ContainerID: id, NetNS: filepath.Join(r.rt.Store.Dir(id), "netns"), Networks: []string{arg}, Ports: n.Ports}
	if err := r.rt.Record(id, container.Release{Kind: container.ReleaseNetwork, Target: id, Data: m.ReleaseData(att)}); err != nil {
		return err
	}
	status, err := m.Attach(ctx, att)
	if err != nil {
		return err
	}
	if err := r.rt.SetNetwork(id, status); err != nil {
		return err
	}
	for _, e := range status.Endpoints {
		files.IPs = append(files.IPs, e.Address())
	}
	paths, err := files.Write(r.rt.Store.Dir(id))
	if err != nil {
		return err
	}
	_, err = r.rt.Amend(id, func(s *specs.Spec) error {
		networkSpec(s, false, att.NetNS, paths)
		return nil
	})
	return err
}

// networkFiles are the container's resolv.conf, hosts and hostname as req
// asks, for a container named hostname.
func (r *Runner) networkFiles(req *Request, hostname string) network.Files {
	n := req.Network
	files := network.Files{Hostname: hostname, DNS: n.DNS, DNSSearch: n.DNSSearch, DNSOptions: n.DNSOptions, ExtraHosts: n.ExtraHosts}
	if files.Hostname == "" { // a UTS namespace shared with the host or another container
		files.Hostname, _ = os.Hostname()
	}
	return files
}

// networkSpec puts the network into s: the network namespace joined at
// nsPath (or created, when empty; removed: the host's), and the files at
// paths bind-mounted over the image's unless the user mounts their own.
func networkSpec(s *specs.Spec, removeNS bool, nsPath string, paths map[string]string) {
	ns := s.Linux.Namespaces[:0]
	for _, x := range s.Linux.Namespaces {
		if x.Type == specs.NetworkNamespace {
			if removeNS {
				continue
			}
			x.Path = nsPath
		}
		ns = append(ns, x)
	}
	s.Linux.Namespaces = ns
	for _, ctr := range []string{"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"} {
		if slices.ContainsFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == ctr }) {
			continue // the user's own mount of it wins, as in Docker
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: ctr, Type: "bind", Source: paths[ctr], Options: []string{"rbind", "rprivate"}})
	}
}

// joinedNetNS is the network namespace of the running container ref.
func (r *Runner) joinedNetNS(ref string) (string, error) {
	pid, err := r.runningPid(ref)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("/proc/%d/ns/net", pid), nil
}

// runningPid is the host PID of running container ref's process.
func (r *Runner) runningPid(ref string) (int, error) {
	id, err := r.rt.Store.Resolve(ref)
	if err != nil {
		return 0, err
	}
	st, err := r.rt.Store.Load(id)
	if err != nil {
		return 0, err
	}
	if !st.Running() || st.Pid == 0 || !r.rt.Running(id) {
		return 0, fmt.Errorf("%w: %s", container.ErrNotRunning, container.ShortID(id))
	}
	return st.Pid, nil
}
