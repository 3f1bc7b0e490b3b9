// Package network gives containers their networks through CNI, the
// standard of Kubernetes, Podman and nerdctl: libcni drives the plugins of
// Debian's containernetworking-plugins (bridge with host-local IPAM,
// portmap, firewall) on a network namespace the package creates and
// pins to a file before the container starts, so the network is set up
// before the container's process runs and torn down (CNI DEL, then the
// namespace) on every exit path through the container's release records.
//
// Networks are CNI configuration lists (*.conflist) in a configuration
// directory (Debian's /etc/cni/net.d by default); Manager creates, lists,
// inspects and removes them and writes the default one, "cgrun" on bridge
// cgrun0, on first use. CNI calls on one network are serialized with a file
// lock: the plugins share IPAM and iptables state.
//
// The package also writes a container's /etc/resolv.conf (the host's,
// loopback resolvers dropped, as Docker does), /etc/hosts and /etc/hostname.
// It never imports cgrun's other packages.
package network
