package volume

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
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
	sock, reqs := fakeTgtd(t, 0)
	tg := Tgt{Runner: r, Socket: sock}
	l := LUNSpec{IQN: "iqn.2024-01.test.cgrun:vol1"}
	creds := &chapCreds{user: "u1", secret: "topsecret1234"}
	if err := tg.Publish(context.Background(), l, "iqn.2024-01.a:ini", creds); err != nil {
		t.Fatal(err)
	}
	// the account and its password went over tgtd's socket, as tgtadm
	// would send them: MODE_ACCOUNT, OP_NEW, lld iscsi, tid -1
	req := <-reqs
	ne := binary.NativeEndian
	if ne.Uint32(req[0:]) != 7 || ne.Uint32(req[4:]) != 0 || string(req[8:13]) != "iscsi" || int32(ne.Uint32(req[76:])) != -1 ||
		int(ne.Uint32(req[72:])) != len(req) || string(req[120:]) != "user=u1,password=topsecret1234\x00" {
		t.Fatalf("request %q", req)
	}
	log := r.joined()
	if strings.Contains(log, "--mode account --user u1 --password") || strings.Contains(log, "--op new --mode account") {
		t.Fatalf("account made through tgtadm's argv:\n%s", log)
	}
	for _, want := range []string{
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

// fakeTgtd answers one management request on a unix socket with code,
// handing the raw request (header and parameters) to the test.
func fakeTgtd(t *testing.T, code uint32) (string, <-chan []byte) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "socket.0")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	reqs := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		hdr := make([]byte, 120)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		body := make([]byte, int(binary.NativeEndian.Uint32(hdr[72:]))-120)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		reqs <- append(hdr, body...)
		rsp := make([]byte, 8)
		binary.NativeEndian.PutUint32(rsp[0:], code)
		binary.NativeEndian.PutUint32(rsp[4:], 8)
		_, _ = c.Write(rsp)
	}()
	return sock, reqs
}

// tgtd's refusal of an account is an error naming it, without the secret.
func TestTgtAccountRefused(t *testing.T) {
	t.Parallel()
	sock, reqs := fakeTgtd(t, 16)
	err := Tgt{Socket: sock}.newAccount(context.Background(), "u2", "anothersecret99")
	<-reqs
	if err == nil || !strings.Contains(err.Error(), "too many accounts") || strings.Contains(err.Error(), "anothersecret99") {
		t.Fatalf("got %v", err)
	}
	if err := (Tgt{Socket: sock}).newAccount(context.Background(), "a,b", "anothersecret99"); err == nil {
		t.Fatal("user with a comma accepted")
	}
}
