package volume

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseSessionsFixture(t *testing.T) {
	t.Parallel()
	s, _ := fixture(t, "iscsiadm-session.txt")
	got, err := ParseSessions(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	want := Session{Transport: "tcp", SID: 1, Portal: "127.0.0.1:3260", TPGT: 1, IQN: "iqn.2024-01.test.cgrun:vol1"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	none, _ := fixture(t, "iscsiadm-session-none2.txt")
	if got, err := ParseSessions(strings.NewReader(none)); err != nil || len(got) != 0 {
		t.Fatalf("no sessions: got %v, %v", got, err)
	}
	if _, err := ParseSessions(strings.NewReader("tcp: [x] 1.2.3.4:3260,1 iqn.a\n")); err == nil {
		t.Fatal("bad sid accepted")
	}
}

func TestParseNodesFixture(t *testing.T) {
	t.Parallel()
	s, _ := fixture(t, "iscsiadm-node.txt")
	got, err := ParseNodes(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	want := NodeEntry{Portal: "127.0.0.1:3260", TPGT: 4294967295, IQN: "iqn.2024-01.test.cgrun:vol1"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	v6, err := ParseNodes(strings.NewReader("[fd00::1]:3260,1 iqn.2024-01.x:y\n"))
	if err != nil || v6[0].Portal != "[fd00::1]:3260" || v6[0].TPGT != 1 {
		t.Fatalf("ipv6: %+v %v", v6, err)
	}
}

// Each real login failure maps to its error kind.
func TestLoginExitCodes(t *testing.T) {
	t.Parallel()
	n := NodeRef{IQN: "iqn.2024-01.test.cgrun:vol1", Portal: "127.0.0.1:3260"}
	cases := []struct {
		fixture string
		want    error
	}{
		{"iscsiadm-login.txt", nil},
		{"iscsiadm-login-again.txt", nil}, // 15: session exists
		{"iscsiadm-login-masked.txt", ErrLoginRefused},
		{"iscsiadm-login-nochap.txt", ErrAuth},
		{"iscsiadm-login-badchap.txt", ErrAuth},
		{"iscsiadm-login-noportal.txt", ErrUnreachable},
		{"iscsiadm-login-norecord.txt", ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			out, code := fixture(t, tc.fixture)
			r := &fakeRunner{respond: func(c Cmd) ([]byte, error) {
				if code != 0 {
					return nil, exitErr(c, code, out)
				}
				return []byte(out), nil
			}}
			err := Iscsiadm{Runner: r}.Login(context.Background(), n)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("code %d: got %v, want %v", code, err, tc.want)
			}
			if r.calls[0] != "iscsiadm -m node -T iqn.2024-01.test.cgrun:vol1 -p 127.0.0.1:3260 -I default --login" {
				t.Fatalf("command %q", r.calls[0])
			}
		})
	}
}

// Logout, delete and list treat exit 21 (nothing there) as success.
func TestIdempotentVerbs(t *testing.T) {
	t.Parallel()
	n := NodeRef{IQN: "iqn.2024-01.test.cgrun:vol1", Portal: "127.0.0.1:3260"}
	for _, f := range []string{"iscsiadm-logout-again.txt", "iscsiadm-node-delete-again.txt", "iscsiadm-session-none2.txt"} {
		out, code := fixture(t, f)
		if code != 21 {
			t.Fatalf("%s: rc %d", f, code)
		}
		a := Iscsiadm{Runner: &fakeRunner{respond: func(c Cmd) ([]byte, error) { return nil, exitErr(c, code, out) }}}
		if err := a.Logout(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		if err := a.DeleteNode(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		if s, err := a.Sessions(context.Background()); err != nil || s != nil {
			t.Fatal(s, err)
		}
	}
	a := Iscsiadm{Runner: &fakeRunner{respond: func(c Cmd) ([]byte, error) { return nil, exitErr(c, 5, "db failure") }}}
	if err := a.Logout(context.Background(), n); ExitCode(err) != 5 {
		t.Fatalf("real failure swallowed: %v", err)
	}
}

// A secret set on the node record never shows in the error or the log line.
func TestUpdateRedactsSecret(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-passw0rd"
	r := &fakeRunner{respond: func(c Cmd) ([]byte, error) {
		return nil, exitErr(c, 6, "iscsiadm: cannot set "+secret)
	}}
	err := Iscsiadm{Runner: r}.Update(context.Background(), NodeRef{IQN: "iqn.2024-01.a:b", Portal: "h:1"}, "node.session.auth.password", secret, true)
	if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(r.joined(), secret) {
		t.Fatalf("secret leaked: err=%v calls=%q", err, r.joined())
	}
	if !strings.Contains(err.Error(), "-v ***") {
		t.Fatalf("redaction marker missing: %v", err)
	}
	if r.raw[0].Args[len(r.raw[0].Args)-1] != secret {
		t.Fatal("the command itself must still get the secret")
	}
}

// The real runner redacts secrets from its own error text and output.
func TestExecRunnerRedacts(t *testing.T) {
	t.Parallel()
	const secret = "hunter2hunter2"
	_, err := ExecRunner{}.Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "echo got $0 >&2; exit 3", secret}, Secrets: []string{secret}})
	if ExitCode(err) != 3 || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "got ***") {
		t.Fatalf("got %v", err)
	}
	_, err = ExecRunner{}.Run(context.Background(), Cmd{Name: "/nonexistent-" + secret, Secrets: []string{secret}})
	if err == nil || strings.Contains(err.Error(), secret) || ExitCode(err) != -1 {
		t.Fatalf("got %v", err)
	}
}

func FuzzParseSessions(f *testing.F) {
	for _, s := range []string{"tcp: [1] 127.0.0.1:3260,1 iqn.a:b (non-flash)", "x", "tcp: [] ,", "tcp: [1] a,b c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseSessions(strings.NewReader(s))
		_, _ = ParseNodes(strings.NewReader(s))
		_, _ = ParseTgtTargets(strings.NewReader(s))
		_, _ = ParseBlkid(strings.NewReader(s))
		_ = ParseVPD83([]byte(s))
	})
}
