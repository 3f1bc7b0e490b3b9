// Package csidriver serves cgrun's iSCSI volume lifecycle as a Container
// Storage Interface (CSI v1) plugin: Identity, Controller (provision on the
// local tgt or LIO target, LUN masking by the node's initiator name) and
// Node (login, identity check, format if blank, staging mount, bind) over
// the same volume.Manager, registry and attach state that `cgrun run -v`
// uses. One lifecycle, two front ends.
//
// Volume IDs are cgrun volume names: the CreateVolume name itself when it is
// a valid volume name, or "csi-" and 32 hex digits of its SHA-256 when not
// (names of up to 128 characters of any kind). The volume context carries
// the target (portal, IQN, LUN), so a node whose registry is not the
// controller's registers the volume at NodeStageVolume and forgets it at
// NodeUnstageVolume.
//
// A node's ID is its initiator IQN: ControllerPublishVolume maps the LUN to
// it, and a node ID that is no iSCSI name is a node that does not exist.
package csidriver
