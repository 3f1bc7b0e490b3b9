package volume

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
)

// Node record settings cgrun sets on every record it uses: no automatic
// login at boot, and timeouts that give up on a dead portal in bounded time
// instead of queueing IO forever (open-iscsi#228).
//
// replacement_timeout is how long the kernel queues a lost session's IO
// while iscsid reconnects before it fails the IO. A single-path volume
// has nothing to fail over to: 30 s rides out a target restart of a few
// seconds (the test restarts tgtd under a writing container), and a dead
// portal still ends in an error in bounded time rather than a hang.
var nodeSettings = [][2]string{
	{"node.startup", "manual"},
	{"node.session.timeo.replacement_timeout", "30"},
	{"node.session.err_timeo.abort_timeout", "15"},
	{"node.session.initial_login_retry_max", "2"},
	{"node.conn[0].timeo.login_timeout", "10"},
}

// pathSettings replace nodeSettings' replacement timeout on the paths of a
// multipath volume: a path whose portal stopped answering fails its IO
// after the NOP-Out timeout (5 s, every 5 s: set here, as open-iscsi's
// defaults are) and 5 s more, and dm-multipath sends
// the IO down another path; multipathd reinstates the path once its
// session is back. These are the values dm-multipath's documentation and
// Red Hat's give for iSCSI paths.
var pathSettings = [][2]string{
	{"node.session.timeo.replacement_timeout", "5"},
	{"node.conn[0].timeo.noop_out_interval", "5"},
	{"node.conn[0].timeo.noop_out_timeout", "5"},
}

// Attach stages volume name for container user: node record, login, disk,
// identity check, then (filesystem mode) format if blank, fsck and staging
// mount. A volume used by another container is refused unless both use it
// read-only. Attaching the same user again returns the same exposure.
func (m *Manager) Attach(ctx context.Context, name, user string, ro bool) (*Exposure, error) {
	if user == "" {
		return nil, invalidf("attach %q: empty user", name)
	}
	v, unlock, err := m.lockVolume(name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := m.reconcileLocked(ctx, v, nil); err != nil {
		return nil, fmt.Errorf("volume %q: finishing an earlier step: %w", name, err)
	}
	a, err := m.store.Attachment(name)
	if err != nil {
		return nil, err
	}
	if a != nil {
		return m.addUser(v, a, user, ro)
	}
	a = &Attachment{
		Volume: name, LUN: v.LUN,
		ReadOnly: ro, Users: map[string]User{user: {ReadOnly: ro, Pending: true}},
	}
	if !v.Multipath() {
		a.Node = NodeRef{IQN: v.IQN, Portal: v.Portal, Iface: m.opts.Iface}
	}
	if err := m.stage(ctx, v, a); err != nil {
		if uerr := m.teardown(context.WithoutCancel(ctx), v, a); uerr != nil {
			return nil, fmt.Errorf("attach %q: %w (and undoing it: %v)", name, err, uerr)
		}
		return nil, fmt.Errorf("attach %q: %w", name, err)
	}
	a.Users[user] = User{ReadOnly: ro}
	if err := m.record(a, PhaseReady); err != nil {
		return nil, err
	}
	return m.exposure(v, a, ro), nil
}

// addUser adds a container to an attached volume: refused unless every
// user, old and new, is read-only.
func (m *Manager) addUser(v *Volume, a *Attachment, user string, ro bool) (*Exposure, error) {
	if u, ok := a.Users[user]; ok {
		if u.ReadOnly != ro {
			return nil, fmt.Errorf("volume %q is already attached to %s with readOnly=%t: %w", v.Name, user, u.ReadOnly, ErrInUse)
		}
		return m.exposure(v, a, ro), nil
	}
	var others []string
	for u := range a.Users {
		others = append(others, u)
	}
	sort.Strings(others)
	if !ro || !a.ReadOnly {
		return nil, &UsersError{Volume: v.Name, Users: others}
	}
	a.Users[user] = User{ReadOnly: true}
	if err := m.record(a, PhaseReady); err != nil {
		return nil, err
	}
	return m.exposure(v, a, true), nil
}

// stage runs the attach steps, recording each before it acts.
func (m *Manager) stage(ctx context.Context, v *Volume, a *Attachment) error {
	var disk string
	var err error
	if v.Multipath() {
		disk, err = m.stagePaths(ctx, v, a)
	} else {
		disk, err = m.stagePath(ctx, v, a)
	}
	if err != nil {
		return err
	}
	a.Disk = disk
	if a.Major, a.Minor, err = m.sys.DevNumber(disk); err != nil {
		return err
	}
	if v.Mode == ModeBlock {
		return nil
	}
	if err := m.record(a, PhaseFormat); err != nil {
		return err
	}
	dev := m.sys.DevPath(disk)
	fstype, formatted, err := m.disk.Prepare(ctx, dev, v.FS, a.ReadOnly, !v.Formatted)
	if err != nil {
		return err
	}
	if formatted {
		v.Formatted = true
		if err := m.store.Put(v); err != nil {
			return err
		}
	}
	a.FSType = fstype
	a.Staging = m.store.StagingDir(v.Name)
	if err := m.record(a, PhaseMount); err != nil {
		return err
	}
	if err := os.MkdirAll(a.Staging, 0o700); err != nil {
		return err
	}
	return m.mounter.Mount(dev, a.Staging, fstype, a.ReadOnly)
}

// stagePath logs in on the volume's one portal and returns its checked disk.
func (m *Manager) stagePath(ctx context.Context, v *Volume, a *Attachment) (string, error) {
	if err := m.loginStep(ctx, v, a, a.Node, &a.RecordCreated, nil); err != nil {
		return "", err
	}
	if err := m.record(a, PhaseDevice); err != nil {
		return "", err
	}
	disk, err := m.waitDisk(ctx, v, a.Node)
	if err != nil {
		return "", err
	}
	return disk, m.checkIdentity(v, disk)
}

// loginStep creates or reuses node n's record, sets CHAP and logs in; it
// sets *created when cgrun owns the record (the last user deletes it).
// extra settings follow nodeSettings.
func (m *Manager) loginStep(ctx context.Context, v *Volume, a *Attachment, n NodeRef, created *bool, extra [][2]string) error {
	creds, err := readCHAP(v.CHAP)
	if err != nil {
		return err
	}
	unlock, err := m.store.lockSessions()
	if err != nil {
		return err
	}
	defer unlock()
	nodes, err := m.iscsi.Nodes(ctx)
	if err != nil {
		return err
	}
	exists := false
	for _, e := range nodes {
		if e.IQN == n.IQN && e.Portal == n.Portal {
			exists = true
		}
	}
	*created = !exists || m.otherOwnsRecord(v, n)
	if err := m.record(a, PhaseRecord); err != nil {
		return err
	}
	if !exists {
		if err := m.iscsi.NewNode(ctx, n); err != nil {
			return err
		}
	}
	kv := chapSettings(creds)
	for _, s := range append(slices.Clip(nodeSettings), extra...) {
		kv[s[0]] = s[1]
	}
	if err := m.iscsi.SetRecord(ctx, n, kv); err != nil {
		return err
	}
	if err := m.record(a, PhaseLogin); err != nil {
		return err
	}
	return m.iscsi.Login(ctx, n)
}

// otherOwnsRecord reports whether another cgrun attachment created the
// shared node record of n (the last one out deletes it).
func (m *Manager) otherOwnsRecord(v *Volume, n NodeRef) bool {
	for _, o := range m.otherAttachments(v, n) {
		for _, p := range o.nodes() {
			if p.RecordCreated && samePortal(p.Node, n) {
				return true
			}
		}
	}
	return false
}

func samePortal(a, b NodeRef) bool { return a.IQN == b.IQN && a.Portal == b.Portal }

// otherAttachments returns the attachments of other volumes with a
// session on n (the same target and portal).
func (m *Manager) otherAttachments(v *Volume, n NodeRef) []*Attachment {
	names, _ := m.store.List()
	var out []*Attachment
	for _, name := range names {
		if name == v.Name {
			continue
		}
		o, err := m.store.Attachment(name)
		if err != nil || o == nil {
			continue
		}
		for _, p := range o.nodes() {
			if samePortal(p.Node, n) {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

func (m *Manager) checkIdentity(v *Volume, disk string) error {
	id, err := m.sys.Identity(disk)
	if err != nil {
		return err
	}
	if v.Identity == "" {
		v.Identity = id
		return m.store.Put(v)
	}
	if v.Identity != id {
		return fmt.Errorf("LUN %d of %s is %q, volume %q was %q: %w", v.LUN, v.IQN, id, v.Name, v.Identity, ErrIdentity)
	}
	return nil
}

// chapCreds are CHAP secrets read for one use.
type chapCreds struct {
	user, secret, mutualUser, mutualSecret string
}

func readCHAP(c *CHAP) (*chapCreds, error) {
	if c == nil {
		return nil, nil
	}
	s, err := ReadSecret(c.SecretFile)
	if err != nil {
		return nil, err
	}
	cr := &chapCreds{user: c.User, secret: s}
	if c.MutualUser != "" {
		if cr.mutualSecret, err = ReadSecret(c.MutualSecretFile); err != nil {
			return nil, err
		}
		cr.mutualUser = c.MutualUser
	}
	return cr, nil
}

// chapSettings are the record's authentication keys; None clears CHAP left
// in a reused record. They go into the record's file (0600) with the other
// settings, never through iscsiadm's argv.
func chapSettings(c *chapCreds) map[string]string {
	if c == nil {
		return map[string]string{"node.session.auth.authmethod": "None"}
	}
	kv := map[string]string{
		"node.session.auth.authmethod": "CHAP",
		"node.session.auth.username":   c.user,
		"node.session.auth.password":   c.secret,
	}
	if c.mutualUser != "" {
		kv["node.session.auth.username_in"] = c.mutualUser
		kv["node.session.auth.password_in"] = c.mutualSecret
	}
	return kv
}
