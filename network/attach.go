package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/internal/flock"
)

// Attachment is a container on networks: what Attach sets up and Detach
// tears down. It is recorded (StateDir/attachments/ID.json) before
// anything is set up, so a crash at any step leaves it to be torn down.
type Attachment struct {
	ContainerID string `json:"containerID"`
	// NetNS is where the container's network namespace is pinned.
	NetNS string `json:"netns"`
	// Networks are the network names; the container's interface on the
	// Nth is ethN.
	Networks []string      `json:"networks"`
	Ports    []PortMapping `json:"ports,omitempty"`
}

func ifName(i int) string { return fmt.Sprintf("eth%d", i) }

// Status is what a container got from its networks.
type Status struct {
	Endpoints []Endpoint    `json:"endpoints,omitempty"`
	Ports     []PortMapping `json:"ports,omitempty"`
}

// Endpoint is the container's interface on one network.
type Endpoint struct {
	Network   string `json:"network"`
	Interface string `json:"interface"`
	IP        string `json:"ip"`      // with its prefix length, 10.89.0.5/24
	Gateway   string `json:"gateway"` // the network's gateway
	MAC       string `json:"mac"`
}

// Address is the endpoint's IP without the prefix length.
func (e Endpoint) Address() string { ip, _, _ := strings.Cut(e.IP, "/"); return ip }

func (m *Manager) attachmentPath(id string) string {
	return filepath.Join(m.opts.StateDir, "attachments", id+".json")
}

func (m *Manager) lock(name string) (*flock.Lock, error) {
	dir := filepath.Join(m.opts.StateDir, "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("network locks: %w", err)
	}
	return flock.Acquire(filepath.Join(dir, name+".lock"), unix.LOCK_EX)
}

// Attach creates the container's network namespace at a.NetNS, runs CNI
// ADD of every network on it (serialized per network) and publishes the
// ports. The ports are checked first, under one lock for all containers:
// a host port a socket of the host holds, or another container publishes,
// is refused (a *PortError). On error everything done is undone.
func (m *Manager) Attach(ctx context.Context, a Attachment) (_ *Status, err error) {
	if len(a.Networks) == 0 {
		return nil, kindf(ErrInvalid, "no network to attach to")
	}
	lists := make([]*libcni.NetworkConfigList, len(a.Networks))
	for i, name := range a.Networks {
		if lists[i], err = m.load(name); err != nil {
			return nil, err
		}
	}
	if err := m.record(a); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = m.Detach(context.WithoutCancel(ctx), a)
		}
	}()
	if err := newNetNS(a.NetNS); err != nil {
		return nil, err
	}
	st := &Status{Ports: a.Ports}
	for i, list := range lists {
		res, err := m.add(ctx, withoutIdle(list, a), m.runtimeConf(a, i, true))
		if err != nil {
			return nil, fmt.Errorf("network %q: %w", list.Name, err)
		}
		st.Endpoints = append(st.Endpoints, endpoint(list.Name, ifName(i), res))
	}
	return st, nil
}

// record checks a's ports against the host and every other attachment,
// then writes a, all under the ports lock.
func (m *Manager) record(a Attachment) error {
	l, err := m.lock(".ports")
	if err != nil {
		return err
	}
	defer l.Unlock()
	others, err := m.attachments()
	if err != nil {
		return err
	}
	for i, p := range a.Ports {
		if p.Protocol == "" {
			a.Ports[i].Protocol, p.Protocol = "tcp", "tcp"
		}
		for _, o := range others {
			if o.ContainerID == a.ContainerID {
				continue
			}
			for _, op := range o.Ports {
				if conflicts(p, op) {
					return &PortError{Port: p, Holder: o.ContainerID}
				}
			}
		}
		if !hostPortFree(p) {
			return &PortError{Port: p}
		}
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(m.attachmentPath(a.ContainerID)), 0o700); err != nil {
		return fmt.Errorf("network attachments: %w", err)
	}
	return writeFileAtomic(m.attachmentPath(a.ContainerID), b, 0o600)
}

// attachments lists the recorded attachments.
func (m *Manager) attachments() ([]Attachment, error) {
	ents, err := os.ReadDir(filepath.Join(m.opts.StateDir, "attachments"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("network attachments: %w", err)
	}
	var out []Attachment
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(m.opts.StateDir, "attachments", e.Name()))
		if err != nil {
			continue // removed meanwhile
		}
		var a Attachment
		if json.Unmarshal(b, &a) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// users lists the containers attached to network name.
func (m *Manager) users(name string) ([]string, error) {
	as, err := m.attachments()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range as {
		if slices.Contains(a.Networks, name) {
			out = append(out, a.ContainerID)
		}
	}
	return out, nil
}

func (m *Manager) runtimeConf(a Attachment, i int, withNetNS bool) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: a.ContainerID, IfName: ifName(i)}
	if withNetNS {
		rt.NetNS = a.NetNS
	}
	if len(a.Ports) > 0 {
		rt.CapabilityArgs = map[string]any{"portMappings": a.Ports}
	}
	return rt
}

func (m *Manager) add(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) (types.Result, error) {
	l, err := m.lock(list.Name)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	return m.cni.AddNetworkList(ctx, list, rt)
}

// Detach runs CNI DEL of every network of a (the last first), unpins the
// namespace and forgets the attachment. Every step is idempotent: a
// detach after a crash at any step of Attach or Detach finishes the work.
// DEL runs even when the namespace is gone (the plugins then release the
// address and the iptables rules by container ID), and with the network's
// configuration from libcni's cache when the network was removed.
func (m *Manager) Detach(ctx context.Context, a Attachment) error {
	var errs []error
	withNetNS := isNetNS(a.NetNS)
	for i := len(a.Networks) - 1; i >= 0; i-- {
		rt := m.runtimeConf(a, i, withNetNS)
		list, err := m.load(a.Networks[i])
		if errors.Is(err, ErrNotFound) {
			list, err = m.cachedList(a.Networks[i], rt)
		}
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				continue // neither configured nor cached: nothing was added
			}
			errs = append(errs, err)
			continue
		}
		if err := m.del(ctx, withoutIdle(list, a), rt); err != nil {
			errs = append(errs, fmt.Errorf("network %q: %w", list.Name, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := unpinNetNS(a.NetNS); err != nil {
		return err
	}
	if err := os.Remove(m.attachmentPath(a.ContainerID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("forget network attachment: %w", err)
	}
	return nil
}

func (m *Manager) del(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error {
	l, err := m.lock(list.Name)
	if err != nil {
		return err
	}
	defer l.Unlock()
	return m.cni.DelNetworkList(ctx, list, rt)
}

// cachedList is the configuration libcni cached when it added the network.
func (m *Manager) cachedList(name string, rt *libcni.RuntimeConf) (*libcni.NetworkConfigList, error) {
	b, _, err := m.cni.GetNetworkListCachedConfig(&libcni.NetworkConfigList{Name: name}, rt)
	if err != nil || b == nil {
		return nil, kindf(ErrNotFound, "network %q (not configured, nothing cached)", name)
	}
	return libcni.NetworkConfFromBytes(b)
}

// withoutIdle is list without the plugins that would do nothing for a:
// portmap when a publishes no port. Each plugin is an exec on every start
// and every removal (a Go binary's start: about a tenth of a second under
// the VM lane's emulation); ADD and DEL of one attachment leave out the
// same ones.
func withoutIdle(list *libcni.NetworkConfigList, a Attachment) *libcni.NetworkConfigList {
	if len(a.Ports) > 0 {
		return list
	}
	out := *list
	out.Plugins = slices.DeleteFunc(slices.Clone(list.Plugins), func(p *libcni.PluginConfig) bool { return p.Network.Type == "portmap" })
	return &out
}

// endpoint reads the container's interface from a CNI result.
func endpoint(network, ifname string, res types.Result) Endpoint {
	e := Endpoint{Network: network, Interface: ifname}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return e
	}
	for _, ifc := range r.Interfaces {
		if ifc.Name == ifname && ifc.Sandbox != "" {
			e.MAC = ifc.Mac
		}
	}
	for _, ip := range r.IPs {
		if ip.Address.IP.To4() != nil || e.IP == "" {
			e.IP = ip.Address.String()
			if ip.Gateway != nil {
				e.Gateway = ip.Gateway.String()
			}
		}
	}
	return e
}
