package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/containernetworking/cni/libcni"
	"github.com/vishvananda/netlink"

	"github.com/cgrun/cgrun/internal/flock"
)

// Debian's places for CNI (containernetworking-plugins), and the
// upstream plugin directory after them.
const (
	DefaultConfDir  = "/etc/cni/net.d"
	DefaultStateDir = "/var/lib/cgrun/cni"
)

// DefaultBinDirs are where CNI plugins are looked for.
var DefaultBinDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// The network a container gets when it names none.
const (
	DefaultNetwork = "cgrun"
	DefaultBridge  = "cgrun0"
)

// Options say where networks are defined and where the package keeps its
// state. The zero value is Debian's defaults.
type Options struct {
	ConfDir string   // CNI network configuration lists (DefaultConfDir)
	BinDirs []string // CNI plugins (DefaultBinDirs)
	// StateDir holds libcni's result cache, host-local's leases for the
	// networks created here, the attachments and the locks
	// (DefaultStateDir).
	StateDir string
}

func (o Options) withDefaults() Options {
	if o.ConfDir == "" {
		o.ConfDir = DefaultConfDir
	}
	if len(o.BinDirs) == 0 {
		o.BinDirs = DefaultBinDirs
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	return o
}

// Manager creates networks and attaches containers to them.
type Manager struct {
	opts Options
	cni  *libcni.CNIConfig
}

// NewManager returns a Manager with opts' defaults filled.
func NewManager(opts Options) *Manager {
	opts = opts.withDefaults()
	return &Manager{opts: opts, cni: libcni.NewCNIConfigWithCacheDir(opts.BinDirs, filepath.Join(opts.StateDir, "cache"), nil)}
}

// Network is one network: a CNI configuration list of the configuration
// directory. Bridge, Subnet and Gateway are its bridge plugin's, when it
// has one.
type Network struct {
	Name    string   `json:"name"`
	File    string   `json:"file"`
	Plugins []string `json:"plugins"`
	Bridge  string   `json:"bridge,omitempty"`
	Subnet  string   `json:"subnet,omitempty"`
	Gateway string   `json:"gateway,omitempty"`
	// Cgrun says the network was written by this package (its file is
	// cgrun-NAME.conflist); others are used, never changed.
	Cgrun bool `json:"cgrun"`
}

var nameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`) })

// ValidName checks a network name (the reserved modes are refused too).
func ValidName(name string) error {
	switch {
	case !nameRe().MatchString(name):
		return kindf(ErrInvalid, "network name %q: must be 1-64 of [a-zA-Z0-9_.-] starting with a letter or digit", name)
	case name == "none" || name == "host" || name == "bridge" || strings.HasPrefix(name, "container"):
		return kindf(ErrInvalid, "network name %q is reserved", name)
	}
	return nil
}

func (m *Manager) file(name string) string {
	return filepath.Join(m.opts.ConfDir, "cgrun-"+name+".conflist")
}

// lockConf serializes changes to the configuration directory.
func (m *Manager) lockConf() (*flock.Lock, error) { return m.lock("conf") }

// Get loads network name from the configuration directory.
func (m *Manager) Get(name string) (*Network, error) {
	list, err := m.load(name)
	if err != nil {
		return nil, err
	}
	return describe(list, m.file(name)), nil
}

// load finds the configuration list of network name: cgrun's file first,
// then any list or single configuration of that name.
func (m *Manager) load(name string) (*libcni.NetworkConfigList, error) {
	if list, err := libcni.NetworkConfFromFile(m.file(name)); err == nil && list.Name == name {
		return list, nil
	}
	list, err := libcni.LoadNetworkConf(m.opts.ConfDir, name)
	var nf libcni.NotFoundError
	var none libcni.NoConfigsFoundError
	if errors.As(err, &nf) || errors.As(err, &none) {
		return nil, fmt.Errorf("network %q: %w in %s", name, ErrNotFound, m.opts.ConfDir)
	}
	if err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	return list, nil
}

// List returns every network of the configuration directory, by name: its
// configuration lists (CNI 1.0 deprecates single-plugin files, which
// load still finds by name).
func (m *Manager) List() ([]*Network, error) {
	files, err := libcni.ConfFiles(m.opts.ConfDir, []string{".conflist"})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var out []*Network
	seen := map[string]bool{}
	for _, f := range files {
		list, err := libcni.NetworkConfFromFile(f)
		if err != nil || seen[list.Name] {
			continue // not a network cgrun can use, or shadowed by an earlier file
		}
		seen[list.Name] = true
		out = append(out, describe(list, f))
	}
	slices.SortFunc(out, func(a, b *Network) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// bridgeConf is the part of the bridge plugin's configuration Network shows.
type bridgeConf struct {
	Type   string `json:"type"`
	Bridge string `json:"bridge"`
	IPAM   struct {
		Ranges [][]struct {
			Subnet  string `json:"subnet"`
			Gateway string `json:"gateway"`
		} `json:"ranges"`
		Subnet string `json:"subnet"`
	} `json:"ipam"`
}

func describe(list *libcni.NetworkConfigList, file string) *Network {
	n := &Network{Name: list.Name, File: file, Cgrun: filepath.Base(file) == "cgrun-"+list.Name+".conflist"}
	for _, p := range list.Plugins {
		n.Plugins = append(n.Plugins, p.Network.Type)
		if p.Network.Type != "bridge" {
			continue
		}
		var b bridgeConf
		if json.Unmarshal(p.Bytes, &b) == nil {
			n.Bridge = b.Bridge
			n.Subnet = b.IPAM.Subnet
			if len(b.IPAM.Ranges) > 0 && len(b.IPAM.Ranges[0]) > 0 {
				n.Subnet, n.Gateway = b.IPAM.Ranges[0][0].Subnet, b.IPAM.Ranges[0][0].Gateway
			}
		}
	}
	return n
}

// CreateOptions shape a new network; zero fields are chosen.
type CreateOptions struct {
	// Subnet is an IPv4 CIDR; default: the first 10.89.N.0/24 that
	// overlaps neither a route or address of the host nor another network.
	Subnet string
	// Gateway is the bridge's address in Subnet (default: the first host).
	Gateway string
	// Bridge is the bridge's name (default cgrun-NAME, shortened to fit).
	Bridge string
}

// Create writes network name: a bridge with host-local IPAM and IP
// masquerade, and the portmap and firewall plugins, as Podman's default
// network is (without its tuning plugin: with no sysctl to set it does
// nothing, and every plugin costs an exec on each start and removal). A name in use, or a subnet that overlaps the host's
// routes or another network, is refused.
func (m *Manager) Create(name string, o CreateOptions) (*Network, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	l, err := m.lockConf()
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	return m.createLocked(name, o)
}

func (m *Manager) createLocked(name string, o CreateOptions) (*Network, error) {
	if _, err := m.load(name); err == nil {
		return nil, fmt.Errorf("network %q %w", name, ErrExists)
	}
	nets, err := m.List()
	if err != nil {
		return nil, err
	}
	taken, err := hostNets()
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		if _, ipn, err := net.ParseCIDR(n.Subnet); err == nil {
			taken = append(taken, usedNet{ipn, "network " + n.Name})
		}
		if o.Bridge != "" && n.Bridge == o.Bridge {
			return nil, fmt.Errorf("bridge %q %w: it is network %q's", o.Bridge, ErrExists, n.Name)
		}
	}
	subnet, err := pickSubnet(o.Subnet, taken)
	if err != nil {
		return nil, err
	}
	gw, err := gatewayIn(subnet, o.Gateway)
	if err != nil {
		return nil, err
	}
	bridge := o.Bridge
	if bridge == "" {
		bridge = bridgeName(name)
	}
	if len(bridge) > 15 || strings.ContainsAny(bridge, "/ \x00") {
		return nil, kindf(ErrInvalid, "bridge name %q: at most 15 characters, no / or space", bridge)
	}
	b, err := conflist(name, bridge, subnet.String(), gw.String(), filepath.Join(m.opts.StateDir, "ipam"))
	if err != nil {
		return nil, err
	}
	list, err := libcni.NetworkConfFromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	if err := os.MkdirAll(m.opts.ConfDir, 0o755); err != nil {
		return nil, fmt.Errorf("network configuration directory: %w", err)
	}
	if err := writeFileAtomic(m.file(name), b, 0o644); err != nil {
		return nil, err
	}
	return describe(list, m.file(name)), nil
}

// EnsureDefault returns the default network, written on first use.
func (m *Manager) EnsureDefault() (*Network, error) {
	if n, err := m.Get(DefaultNetwork); err == nil {
		return n, nil
	}
	l, err := m.lockConf()
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if n, err := m.Get(DefaultNetwork); err == nil {
		return n, nil // another process wrote it meanwhile
	}
	return m.createLocked(DefaultNetwork, CreateOptions{Bridge: DefaultBridge})
}

// Remove deletes network name's configuration, and its bridge when this
// package made it. A network containers are attached to, or one cgrun did
// not write, is refused.
func (m *Manager) Remove(name string) error {
	l, err := m.lockConf()
	if err != nil {
		return err
	}
	defer l.Unlock()
	n, err := m.Get(name)
	if err != nil {
		return err
	}
	if !n.Cgrun {
		return kindf(ErrInvalid, "network %q was not created by cgrun (%s)", name, n.File)
	}
	users, err := m.users(name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return &UsersError{Network: name, Containers: users}
	}
	if err := os.Remove(n.File); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network %q: %w", name, err)
	}
	if n.Bridge != "" {
		if link, err := netlink.LinkByName(n.Bridge); err == nil && link.Type() == "bridge" {
			if err := netlink.LinkDel(link); err != nil {
				return fmt.Errorf("remove bridge %s: %w", n.Bridge, err)
			}
		}
	}
	_ = os.RemoveAll(filepath.Join(m.opts.StateDir, "ipam", name))
	return nil
}

func conflist(name, bridge, subnet, gateway, ipamDir string) ([]byte, error) {
	type obj = map[string]any
	return json.MarshalIndent(obj{
		"cniVersion": "1.0.0",
		"name":       name,
		"plugins": []obj{
			{
				"type": "bridge", "bridge": bridge, "isGateway": true, "ipMasq": true, "hairpinMode": true,
				"ipam": obj{
					"type":    "host-local",
					"ranges":  [][]obj{{{"subnet": subnet, "gateway": gateway}}},
					"routes":  []obj{{"dst": "0.0.0.0/0"}},
					"dataDir": ipamDir,
				},
			},
			{"type": "portmap", "capabilities": obj{"portMappings": true}},
			{"type": "firewall", "backend": "iptables"},
		},
	}, "", "  ")
}

// bridgeName is cgrun-NAME, cut to the kernel's 15 characters.
func bridgeName(name string) string {
	b := "cgrun-" + name
	if len(b) > 15 {
		b = b[:15]
	}
	return b
}

// usedNet is an address range the host or a network already has.
type usedNet struct {
	net  *net.IPNet
	what string
}

// hostNets lists the host's IPv4 routes and interface addresses (the
// default route excluded: it covers everything).
func hostNets() ([]usedNet, error) {
	var out []usedNet
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("host routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst != nil && !(r.Dst.IP.IsUnspecified() && maskBits(r.Dst) == 0) {
			out = append(out, usedNet{r.Dst, "the host's route " + r.Dst.String()})
		}
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("host addresses: %w", err)
	}
	for _, a := range addrs {
		out = append(out, usedNet{a.IPNet, "the host's address " + a.IPNet.String()})
	}
	return out, nil
}

func maskBits(n *net.IPNet) int {
	ones, _ := n.Mask.Size()
	return ones
}

func overlaps(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

// pickSubnet checks the subnet asked for against what is taken, or picks
// the first free 10.89.N.0/24.
func pickSubnet(asked string, taken []usedNet) (*net.IPNet, error) {
	check := func(n *net.IPNet) error {
		for _, t := range taken {
			if overlaps(n, t.net) {
				return kindf(ErrOverlap, "subnet %s overlaps %s", n, t.what)
			}
		}
		return nil
	}
	if asked != "" {
		ip, n, err := net.ParseCIDR(asked)
		if err != nil || ip.To4() == nil {
			return nil, kindf(ErrInvalid, "subnet %q: must be an IPv4 CIDR like 10.89.7.0/24", asked)
		}
		if b := maskBits(n); b > 30 {
			return nil, kindf(ErrInvalid, "subnet %q: must hold at least two hosts (/30 or larger)", asked)
		}
		return n, check(n)
	}
	for i := 0; i < 256; i++ {
		_, n, _ := net.ParseCIDR(fmt.Sprintf("10.89.%d.0/24", i))
		if check(n) == nil {
			return n, nil
		}
	}
	return nil, kindf(ErrOverlap, "every 10.89.N.0/24 is taken: give a subnet")
}

// gatewayIn is the gateway asked for (in subnet, not its network or
// broadcast address) or the subnet's first host.
func gatewayIn(subnet *net.IPNet, asked string) (net.IP, error) {
	base := subnet.IP.To4()
	first := net.IPv4(base[0], base[1], base[2], base[3]+1).To4()
	if asked == "" {
		return first, nil
	}
	gw := net.ParseIP(asked).To4()
	if gw == nil || !subnet.Contains(gw) || gw.Equal(base) {
		return nil, kindf(ErrInvalid, "gateway %q: must be a host address of %s", asked, subnet)
	}
	return gw, nil
}

// writeFileAtomic replaces path with b (a temporary file renamed).
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := tmp.Write(b)
	if err := tmp.Chmod(mode); werr == nil {
		werr = err
	}
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
