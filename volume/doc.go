// Package volume attaches iSCSI block volumes to the containers cgrun starts,
// following the CSI lifecycle without a daemon:
//
//	CREATED -> Publish (LUN masking) -> Stage (login, disk) -> expose (format
//	if blank, mount or raw device) -> ... and back down in pairs.
//
// The node side drives open-iscsi through iscsiadm, one thin function per
// verb (iscsiadm.go), finds the disk through the session in sysfs
// (sysfs.go), formats only a blank disk (disk.go) and mounts it at a
// per-volume staging directory (mount.go). The controller side provisions
// file-backed LUNs on the Linux targets tgt (tgt.go) and LIO (lio.go). Every
// step is recorded in a 0600 JSON state file under a per-volume flock before
// it runs (store.go), so any later process can detach, and Reconcile
// finishes or undoes a step a crashed process left half done.
//
// Every external tool runs behind the Runner interface (exec.go); secrets
// given to a command are redacted from every error and every String().
//
// volume is a leaf package: it never imports spec or cmd.
package volume
