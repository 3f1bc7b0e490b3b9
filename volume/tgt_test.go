package volume

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseTgtTargetsFixtures(t *testing.T) {
	t.Parallel()
	s, _ := fixture(t, "tgtadm-show-chap.txt")
	got, err := ParseTgtTargets(strings.NewReader(s))
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	g := got[0]
	if g.TID != 1 || g.IQN != "iqn.2024-01.test.cgrun:vol1" || g.LUNs[1] != "/var/tmp/l1.img" || len(g.LUNs) != 2 ||
		strings.Join(g.Accounts, ",") != "u1" || strings.Join(g.ACLs, ",") != "ALL,iqn.2024-01.other:x" || len(g.Initiators) != 0 {
		t.Fatalf("parsed %+v", g)
	}
	nexus := strings.Replace(s, "    I_T nexus information:\n", "    I_T nexus information:\n        I_T nexus: 1\n            Initiator: iqn.1993-08.org.debian:01:e39e9cb1cb4 alias: vmlane\n            Connection: 0\n                IP Address: 127.0.0.1\n", 1)
	got, _ = ParseTgtTargets(strings.NewReader(nexus))
	if len(got[0].Initiators) != 1 || got[0].Initiators[0] != "iqn.1993-08.org.debian:01:e39e9cb1cb4" {
		t.Fatalf("nexus %+v", got[0].Initiators)
	}
}

// Publish binds the initiator once; Unpublish is refused while it has a
// session; the CHAP password is redacted in every command line.
func TestTgtCommands(t *testing.T) {
	t.Parallel()
	show, _ := fixture(t, "tgtadm-show-target.txt")
	withACL := strings.Replace(show, "ACL information:\n        ALL", "ACL information:\n        ALL\n        iqn.2024-01.a:ini", 1)
	withACL = strings.Replace(withACL, "    I_T nexus information:\n", "    I_T nexus information:\n        I_T nexus: 1\n            Initiator: iqn.2024-01.a:ini alias: x\n", 1)
	cur := show
	r := &fakeRunner{respond: func(c Cmd) ([]byte, error) {
		if strings.Contains(strings.Join(c.Args, " "), "--op show") {
			return []byte(cur), nil
		}
		return nil, nil
	}}
	tg := Tgt{Runner: r}
	l := LUNSpec{IQN: "iqn.2024-01.test.cgrun:vol1"}
	creds := &chapCreds{user: "u1", secret: "topsecret1234"}
	if err := tg.Publish(context.Background(), l, "iqn.2024-01.a:ini", creds); err != nil {
		t.Fatal(err)
	}
	log := r.joined()
	for _, want := range []string{
		"tgtadm --lld iscsi --op new --mode account --user u1 --password ***",
		"tgtadm --lld iscsi --op bind --mode account --tid 1 --user u1",
		"tgtadm --lld iscsi --op bind --mode target --tid 1 --initiator-name iqn.2024-01.a:ini",
	} {
		if !strings.Contains(log, want) {
			t.Fatalf("missing %q in\n%s", want, log)
		}
	}
	if strings.Contains(log, "topsecret1234") {
		t.Fatal("secret in command log")
	}
	cur = withACL
	r.calls = nil
	if err := tg.Publish(context.Background(), l, "iqn.2024-01.a:ini", nil); err != nil || strings.Contains(r.joined(), "--op bind") {
		t.Fatalf("second publish not idempotent: %v\n%s", err, r.joined())
	}
	if err := tg.Unpublish(context.Background(), l, "iqn.2024-01.a:ini"); !errors.Is(err, ErrInUse) {
		t.Fatalf("unpublish with a session: %v", err)
	}
	if err := tg.Delete(context.Background(), l); !errors.Is(err, ErrInUse) {
		t.Fatalf("delete with a session: %v", err)
	}
}

// A provisioning whose LUN creation fails leaves nothing: no record, no
// target, no backing file.
func TestProvisionFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	var created bool
	r := &fakeRunner{}
	r.respond = func(c Cmd) ([]byte, error) {
		args := strings.Join(c.Args, " ")
		switch {
		case strings.Contains(args, "--op show"):
			if created {
				return []byte("Target 1: iqn.2024-01.test.cgrun:broken\n    System information:\n        Driver: iscsi\n"), nil
			}
			return nil, nil
		case strings.Contains(args, "--op new --mode target"):
			created = true
			return nil, nil
		case strings.Contains(args, "--mode logicalunit"):
			return nil, exitErr(c, 22, "tgtadm: invalid request")
		}
		return nil, nil
	}
	m := NewManager(Options{StateDir: t.TempDir(), Runner: r})
	v := &Volume{Name: "broken", Portal: "127.0.0.1:3260", IQN: "iqn.2024-01.test.cgrun:broken", Provision: ProvisionTgt, SizeBytes: 1 << 20}
	err := m.Provision(context.Background(), v)
	if err == nil || !strings.Contains(err.Error(), "create LUN 1") {
		t.Fatalf("provision: %v", err)
	}
	if _, err := m.Store().Get("broken"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the record stayed: %v", err)
	}
	if !strings.Contains(r.joined(), "--op delete --mode target --tid 1") {
		t.Errorf("the target made was not deleted:\n%s", r.joined())
	}
	if _, err := os.Stat(v.Backing); !os.IsNotExist(err) {
		t.Errorf("the backing file %s stayed: %v", v.Backing, err)
	}
}
