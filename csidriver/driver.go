package csidriver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cgrun/cgrun/volume"
)

// DriverName is the plugin's name (GetPluginInfo, the CSIDriver object).
const DriverName = "csi.cgrun.io"

// DefaultPortal is where provisioned targets are reached when Options.Portal
// is empty: tgtd's and LIO's default portal on this host.
const DefaultPortal = "127.0.0.1:3260"

// Mode selects the services a Driver serves besides Identity.
type Mode string

// Modes.
const (
	ModeAll        Mode = "all"
	ModeController Mode = "controller"
	ModeNode       Mode = "node"
)

// Options of a Driver.
type Options struct {
	// Manager is the volume manager of this host's registry (required).
	Manager *volume.Manager
	// Mode: ModeAll when empty.
	Mode Mode
	// NodeID is this node's initiator IQN (node mode; required there).
	NodeID string
	// Provisioner provisions CreateVolume's LUNs: volume.ProvisionTgt
	// when empty, or volume.ProvisionLIO. A StorageClass parameter
	// "provisioner" picks one per volume.
	Provisioner volume.Provisioner
	// Portal is the portal of provisioned targets (DefaultPortal).
	Portal string
	// ThinPool, VG/POOL, makes CreateVolume's LUNs thin LVs of that LVM
	// thin pool: the plugin then has snapshots, clones and (on lio)
	// expansion. Give it to node instances too: they advertise node
	// expansion with it.
	ThinPool string
	// Version is the vendor version GetPluginInfo reports.
	Version string
	// Log receives one line per call (method, volume, result, time);
	// requests are never logged, so secrets never are. Nil: no log.
	Log io.Writer
}

// Driver is a CSI plugin over a volume.Manager.
type Driver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer
	csi.UnimplementedNodeServer

	m    *volume.Manager
	opts Options
}

// New checks opts and returns a Driver.
func New(opts Options) (*Driver, error) {
	if opts.Manager == nil {
		return nil, errors.New("csidriver: no volume manager")
	}
	switch opts.Mode {
	case "":
		opts.Mode = ModeAll
	case ModeAll, ModeController, ModeNode:
	default:
		return nil, fmt.Errorf("mode %q: must be controller, node or all", opts.Mode)
	}
	if opts.Provisioner == "" {
		opts.Provisioner = volume.ProvisionTgt
	}
	if opts.Provisioner != volume.ProvisionTgt && opts.Provisioner != volume.ProvisionLIO {
		return nil, fmt.Errorf("provisioner %q: must be tgt or lio", opts.Provisioner)
	}
	if opts.Portal == "" {
		opts.Portal = DefaultPortal
	}
	if err := volume.ValidPortal(opts.Portal); err != nil {
		return nil, err
	}
	if opts.ThinPool != "" {
		if err := volume.ValidThinPool(opts.ThinPool); err != nil {
			return nil, err
		}
	}
	if opts.serves(ModeNode) {
		if opts.NodeID == "" {
			return nil, errors.New("node ID: the node's initiator IQN is needed to serve the node service")
		}
		if err := volume.ValidIQN(opts.NodeID); err != nil {
			return nil, fmt.Errorf("node ID: %w", err)
		}
	}
	return &Driver{m: opts.Manager, opts: opts}, nil
}

// expands reports whether volumes grow: thin ones on lio.
func (o Options) expands() bool { return o.ThinPool != "" && o.Provisioner == volume.ProvisionLIO }

// serves reports whether mode's service runs under o.Mode.
func (o Options) serves(m Mode) bool { return o.Mode == ModeAll || o.Mode == m }

// Register adds the driver's services to s: Identity always, Controller
// and Node as its mode says.
func (d *Driver) Register(s *grpc.Server) {
	csi.RegisterIdentityServer(s, d)
	if d.opts.serves(ModeController) {
		csi.RegisterControllerServer(s, d)
	}
	if d.opts.serves(ModeNode) {
		csi.RegisterNodeServer(s, d)
	}
}

// NewServer returns a gRPC server with the driver's services and its call
// log.
func (d *Driver) NewServer() *grpc.Server {
	s := grpc.NewServer(grpc.UnaryInterceptor(d.logCall))
	d.Register(s)
	return s
}

// logCall logs one line per call: the method, the volume it names, the
// result code and the time. Never the request: secrets travel in it.
func (d *Driver) logCall(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	if d.opts.Log != nil {
		vol := ""
		if r, ok := req.(interface{ GetVolumeId() string }); ok && r.GetVolumeId() != "" {
			vol = " volume=" + r.GetVolumeId()
		} else if r, ok := req.(interface{ GetName() string }); ok && r.GetName() != "" {
			vol = fmt.Sprintf(" name=%q", r.GetName())
		}
		res := "OK"
		if err != nil {
			st, _ := status.FromError(err)
			res = st.Code().String() + ": " + st.Message()
		}
		fmt.Fprintf(d.opts.Log, "csi: %s%s: %s (%s)\n", info.FullMethod, vol, res, time.Since(start).Round(time.Millisecond))
	}
	return resp, err
}

// Listen opens a CSI endpoint: unix:///path (a stale socket there is
// replaced, the socket made 0600) or tcp://host:port.
func Listen(endpoint string) (net.Listener, func(), error) {
	network, addr, err := ParseEndpoint(endpoint)
	if err != nil {
		return nil, nil, err
	}
	if network == "tcp" {
		l, err := net.Listen("tcp", addr)
		return l, func() {}, err
	}
	if err := os.MkdirAll(filepath.Dir(addr), 0o755); err != nil {
		return nil, nil, err
	}
	if st, err := os.Lstat(addr); err == nil {
		if st.Mode().Type() != os.ModeSocket {
			return nil, nil, fmt.Errorf("endpoint %s: exists and is not a socket", addr)
		}
		// A socket left by a plugin that died: nobody answers on it.
		if c, err := net.Dial("unix", addr); err == nil {
			c.Close()
			return nil, nil, fmt.Errorf("endpoint %s: another plugin is serving it", addr)
		}
		if err := os.Remove(addr); err != nil {
			return nil, nil, err
		}
	}
	old := unix.Umask(0o177)
	l, err := net.Listen("unix", addr)
	unix.Umask(old)
	if err != nil {
		return nil, nil, err
	}
	return l, func() { os.Remove(addr) }, nil
}

// ParseEndpoint splits a CSI endpoint into a network and an address.
func ParseEndpoint(endpoint string) (network, addr string, err error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	switch u.Scheme {
	case "unix":
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		if u.Host != "" || !filepath.IsAbs(p) {
			return "", "", fmt.Errorf("endpoint %q: a unix endpoint is unix:///ABSOLUTE/PATH", endpoint)
		}
		return "unix", filepath.Clean(p), nil
	case "tcp":
		if _, _, err := net.SplitHostPort(u.Host); err != nil || u.Path != "" {
			return "", "", fmt.Errorf("endpoint %q: a tcp endpoint is tcp://HOST:PORT", endpoint)
		}
		return "tcp", u.Host, nil
	}
	return "", "", fmt.Errorf("endpoint %q: must be unix:///PATH or tcp://HOST:PORT", endpoint)
}

// toStatus maps the volume library's error kinds to the gRPC codes the CSI
// spec names.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	code := codes.Internal
	switch {
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, volume.ErrInvalid):
		code = codes.InvalidArgument
	case errors.Is(err, volume.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, volume.ErrExists):
		code = codes.AlreadyExists
	case errors.Is(err, volume.ErrInUse), errors.Is(err, volume.ErrBlankReadOnly),
		errors.Is(err, volume.ErrUnsafeFormat), errors.Is(err, volume.ErrIdentity), errors.Is(err, volume.ErrFsck):
		code = codes.FailedPrecondition
	case errors.Is(err, volume.ErrLoginRefused), errors.Is(err, volume.ErrAuth), errors.Is(err, volume.ErrSecret):
		code = codes.PermissionDenied
	case errors.Is(err, volume.ErrUnreachable), errors.Is(err, volume.ErrDeviceTimeout):
		code = codes.Unavailable
	}
	return status.Error(code, err.Error())
}

func invalid(format string, a ...any) error {
	return status.Errorf(codes.InvalidArgument, format, a...)
}
