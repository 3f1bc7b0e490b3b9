package volume

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Tgt provisions LUNs on the user-space tgt daemon through tgtadm, and
// creates CHAP accounts through tgtd's management socket (Socket,
// DefaultTgtSocket when empty) so that no password is in an argv.
type Tgt struct {
	Runner Runner
	Socket string
}

// TgtTarget is one target of `tgtadm --op show --mode target`.
type TgtTarget struct {
	TID        int
	IQN        string
	Initiators []string // I_T nexus initiators (open sessions)
	LUNs       map[int]string
	Accounts   []string
	ACLs       []string
}

// ParseTgtTargets parses `tgtadm --lld iscsi --op show --mode target`.
func ParseTgtTargets(r io.Reader) ([]TgtTarget, error) {
	var out []TgtTarget
	var cur *TgtTarget
	section, lun := "", -1
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(raw, "Target ") {
			num, iqn, ok := strings.Cut(strings.TrimPrefix(raw, "Target "), ": ")
			tid, err := strconv.Atoi(num)
			if !ok || err != nil {
				return nil, fmt.Errorf("%w: bad tgtadm target line %q", ErrCommand, raw)
			}
			out = append(out, TgtTarget{TID: tid, IQN: strings.TrimSpace(iqn), LUNs: map[int]string{}})
			cur, section, lun = &out[len(out)-1], "", -1
			continue
		}
		if cur == nil || line == "" {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		if indent == 4 && strings.HasSuffix(line, ":") {
			section = line
			continue
		}
		switch section {
		case "I_T nexus information:":
			if v, ok := strings.CutPrefix(line, "Initiator: "); ok {
				cur.Initiators = append(cur.Initiators, strings.Fields(v)[0])
			}
		case "LUN information:":
			if v, ok := strings.CutPrefix(line, "LUN: "); ok {
				lun, _ = strconv.Atoi(v)
				cur.LUNs[lun] = ""
			} else if v, ok := strings.CutPrefix(line, "Backing store path: "); ok && lun >= 0 {
				cur.LUNs[lun] = v
			}
		case "Account information:":
			cur.Accounts = append(cur.Accounts, strings.Fields(line)[0])
		case "ACL information:":
			cur.ACLs = append(cur.ACLs, line)
		}
	}
	return out, sc.Err()
}

func (t Tgt) adm(ctx context.Context, args ...string) ([]byte, error) {
	return t.Runner.Run(ctx, Cmd{Name: "tgtadm", Args: append([]string{"--lld", "iscsi"}, args...)})
}

func (t Tgt) targets(ctx context.Context) ([]TgtTarget, error) {
	out, err := t.adm(ctx, "--op", "show", "--mode", "target")
	if err != nil {
		return nil, fmt.Errorf("list tgt targets: %w", err)
	}
	return ParseTgtTargets(bytesReader(out))
}

func (t Tgt) find(ctx context.Context, iqn string) (*TgtTarget, []TgtTarget, error) {
	all, err := t.targets(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := range all {
		if all[i].IQN == iqn {
			return &all[i], all, nil
		}
	}
	return nil, all, nil
}

// servesPortals checks that tgtd listens on each of portals (a wildcard
// address of the same port serves every address).
func (t Tgt) servesPortals(ctx context.Context, portals []string) error {
	out, err := t.adm(ctx, "--op", "show", "--mode", "portal")
	if err != nil {
		return fmt.Errorf("list tgt portals: %w", err)
	}
	served := ParseTgtPortals(string(out))
	for _, p := range portals {
		_, port, _ := net.SplitHostPort(p)
		if !slices.Contains(served, p) && !slices.Contains(served, net.JoinHostPort("0.0.0.0", port)) &&
			!slices.Contains(served, net.JoinHostPort("::", port)) {
			return invalidf("portal %s: tgtd does not listen on it (it serves %s; add it with tgtd --iscsi portal=%s or tgtadm --op new --mode portal --param portal=%s)",
				p, strings.Join(served, ", "), p, p)
		}
	}
	return nil
}

// ParseTgtPortals parses `tgtadm --op show --mode portal` ("Portal:
// 127.0.0.1:3260,1") into host:port portals.
func ParseTgtPortals(out string) []string {
	var ps []string
	for _, line := range strings.Split(out, "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "Portal: ")
		if !ok {
			continue
		}
		v, _, _ = strings.Cut(v, ",")
		if host, port, err := net.SplitHostPort(v); err == nil {
			ps = append(ps, net.JoinHostPort(strings.Trim(host, "[]"), port))
		}
	}
	return ps
}

// DiskLUN implements Target: tgt's LUN 0 is its controller.
func (Tgt) DiskLUN() int { return 1 }

// Create implements Target. A multipath volume's portals must be tgtd's
// already: its portals serve every target, and cgrun changes no setting
// of a daemon other targets share.
func (t Tgt) Create(ctx context.Context, l LUNSpec) error {
	if len(l.Portals) > 1 {
		if err := t.servesPortals(ctx, l.Portals); err != nil {
			return err
		}
	}
	if !l.Device {
		if err := makeBacking(l.Backing, l.SizeBytes); err != nil {
			return err
		}
	}
	tg, all, err := t.find(ctx, l.IQN)
	if err != nil {
		return err
	}
	if tg == nil {
		tid := 1
		for _, o := range all {
			if o.TID >= tid {
				tid = o.TID + 1
			}
		}
		if _, err := t.adm(ctx, "--op", "new", "--mode", "target", "--tid", strconv.Itoa(tid), "-T", l.IQN); err != nil {
			return fmt.Errorf("create tgt target %s: %w", l.IQN, err)
		}
		tg = &TgtTarget{TID: tid, IQN: l.IQN, LUNs: map[int]string{}}
	}
	tid := strconv.Itoa(tg.TID)
	// tgtd keeps the I_T nexus of a connection whose initiator vanished
	// (a cut path, a crashed node) for as long as the TCP connection
	// looks open, which for an idle one is forever: Unpublish and Delete
	// would be refused. NOP-Ins every 5 s, the connection closed after 3
	// unanswered (LIO does the like by default).
	for _, kv := range [][2]string{{"nop_interval", "5"}, {"nop_count", "3"}} {
		if _, err := t.adm(ctx, "--op", "update", "--mode", "target", "--tid", tid, "-n", kv[0], "-v", kv[1]); err != nil {
			return fmt.Errorf("set %s of %s: %w", kv[0], l.IQN, err)
		}
	}
	if _, ok := tg.LUNs[1]; !ok {
		if _, err := t.adm(ctx, "--op", "new", "--mode", "logicalunit", "--tid", tid, "--lun", "1", "-b", l.Backing); err != nil {
			return fmt.Errorf("create LUN 1 of %s on %s: %w", l.IQN, l.Backing, err)
		}
	}
	if l.Serial != "" {
		if _, err := t.adm(ctx, "--op", "update", "--mode", "logicalunit", "--tid", tid, "--lun", "1",
			"--params", "scsi_sn="+l.Serial+",scsi_id="+l.Serial); err != nil {
			return fmt.Errorf("set serial of %s: %w", l.IQN, err)
		}
	}
	return nil
}

// Publish implements Target: ACL by initiator name, CHAP accounts bound to
// the target (mutual CHAP as the outgoing account).
func (t Tgt) Publish(ctx context.Context, l LUNSpec, initiator string, c *chapCreds) error {
	tg, _, err := t.find(ctx, l.IQN)
	if err != nil {
		return err
	}
	if tg == nil {
		return fmt.Errorf("tgt target %s: %w", l.IQN, ErrNotFound)
	}
	tid := strconv.Itoa(tg.TID)
	if c != nil {
		if err := t.account(ctx, tg, c.user, c.secret, false); err != nil {
			return err
		}
		if c.mutualUser != "" {
			if err := t.account(ctx, tg, c.mutualUser, c.mutualSecret, true); err != nil {
				return err
			}
		}
	}
	if slices.Contains(tg.ACLs, initiator) {
		return nil
	}
	if _, err := t.adm(ctx, "--op", "bind", "--mode", "target", "--tid", tid, "--initiator-name", initiator); err != nil {
		return fmt.Errorf("publish %s to %s: %w", l.IQN, initiator, err)
	}
	return nil
}

// account (re)creates a CHAP account with secret and binds it to tg.
func (t Tgt) account(ctx context.Context, tg *TgtTarget, user, secret string, outgoing bool) error {
	// delete first so a changed secret takes effect; a missing account is fine
	_, _ = t.adm(ctx, "--op", "delete", "--mode", "account", "--user", user)
	if err := t.newAccount(ctx, user, secret); err != nil {
		return err
	}
	args := []string{"--op", "bind", "--mode", "account", "--tid", strconv.Itoa(tg.TID), "--user", user}
	if outgoing {
		args = append(args, "--outgoing")
	}
	if _, err := t.adm(ctx, args...); err != nil {
		return fmt.Errorf("bind CHAP account %s to %s: %w", user, tg.IQN, err)
	}
	return nil
}

// Unpublish implements Target.
func (t Tgt) Unpublish(ctx context.Context, l LUNSpec, initiator string) error {
	tg, _, err := t.find(ctx, l.IQN)
	if err != nil || tg == nil {
		return err
	}
	if slices.Contains(tg.Initiators, initiator) {
		return fmt.Errorf("unpublish %s from %s: %w: the initiator still has a session (detach first)", l.IQN, initiator, ErrInUse)
	}
	if !slices.Contains(tg.ACLs, initiator) {
		return nil
	}
	if _, err := t.adm(ctx, "--op", "unbind", "--mode", "target", "--tid", strconv.Itoa(tg.TID), "--initiator-name", initiator); err != nil {
		return fmt.Errorf("unpublish %s from %s: %w", l.IQN, initiator, err)
	}
	return nil
}

// Delete implements Target; the CHAP accounts bound to the target go too.
func (t Tgt) Delete(ctx context.Context, l LUNSpec) error {
	tg, _, err := t.find(ctx, l.IQN)
	if err != nil {
		return err
	}
	if tg != nil {
		if len(tg.Initiators) > 0 {
			return fmt.Errorf("delete %s: %w: sessions open from %v", l.IQN, ErrInUse, tg.Initiators)
		}
		if _, err := t.adm(ctx, "--op", "delete", "--mode", "target", "--tid", strconv.Itoa(tg.TID)); err != nil {
			return fmt.Errorf("delete tgt target %s: %w", l.IQN, err)
		}
		for _, u := range tg.Accounts {
			_, _ = t.adm(ctx, "--op", "delete", "--mode", "account", "--user", u)
		}
	}
	if l.Device {
		return nil
	}
	return removeBacking(l.Backing)
}

// makeBacking creates the sparse backing file of size bytes, 0600; an
// existing file is kept as it is.
func makeBacking(path string, size int64) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create backing file: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("size backing file %s: %w", path, err)
	}
	return nil
}

func removeBacking(path string) error {
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove backing file: %w", err)
	}
	return nil
}
