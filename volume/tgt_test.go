package volume

import (
	"context"
	"errors"
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
