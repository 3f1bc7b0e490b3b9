//go:build seccomp

package wrap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/seccomp"

	"github.com/cgrun/cgrun/container/seccompcache"
)

// denying is a filter that allows everything but call, refused with EPERM.
func denying(call string) *configs.Seccomp {
	eperm := uint(1)
	return &configs.Seccomp{
		DefaultAction: configs.Allow,
		Architectures: []string{"amd64", "x86", "x32"},
		Syscalls:      []*configs.Syscall{{Name: call, Action: configs.Errno, ErrnoRet: &eperm}},
	}
}

func compile(t *testing.T, s *configs.Seccomp) seccompcache.Entry {
	t.Helper()
	in, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.CreateTemp(t.TempDir(), "entry")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := Compile(bytes.NewReader(in), out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	e, err := seccompcache.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestMemfdName(t *testing.T) {
	if memfdName != seccompcache.MemfdName {
		t.Fatalf("wrap.h names the memfd %q, package seccompcache %q", memfdName, seccompcache.MemfdName)
	}
}

// The same filter compiles to the same entry; another filter to another
// transcript; compiling loads nothing into this process.
func TestCompileIsDeterministic(t *testing.T) {
	a1, a2, b := compile(t, denying("mknodat")), compile(t, denying("mknodat")), compile(t, denying("mkdirat"))
	if !bytes.Equal(a1.Bytes(), a2.Bytes()) {
		t.Fatal("one filter compiled twice gave two entries")
	}
	if bytes.Equal(a1.Transcript, b.Transcript) || bytes.Equal(a1.Program, b.Program) {
		t.Fatal("two filters gave one transcript or one program")
	}
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(st), "Seccomp:\t0") {
		t.Fatal("compiling loaded a filter into the compiler")
	}
}

// TestServed: an init that builds filter A loads the program its runner
// hands over only when the entry's transcript is A's. Proven with a forged
// entry (A's transcript, B's program): the child refuses what B refuses.
// Each case runs in a child (this test binary again), whose parent holds
// the entry in a sealed memfd as a runner does.
func TestServed(t *testing.T) {
	if os.Getenv("WRAP_CHILD") != "" {
		return
	}
	a, b := compile(t, denying("mknodat")), compile(t, denying("mkdirat"))
	for _, tc := range []struct {
		name  string
		entry *seccompcache.Entry
		want  string
	}{
		{"A's own entry", &a, "used=true mkdir=ok"},
		{"A's transcript, B's program", &seccompcache.Entry{Transcript: a.Transcript, Program: b.Program}, "used=true mkdir=EPERM"},
		{"B's entry", &b, "used=false mkdir=ok"},
		{"no entry", nil, "used=false mkdir=ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mem *os.File
			if tc.entry != nil {
				var err error
				if mem, err = seccompcache.Memfd(*tc.entry); err != nil {
					t.Fatal(err)
				}
				defer mem.Close()
				if _, err := mem.Write([]byte("x")); err == nil {
					t.Fatal("the sealed memfd took a write")
				}
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestServedChild$", "-test.v")
			cmd.Env = append(os.Environ(), "WRAP_CHILD="+t.TempDir())
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), "result: "+tc.want+"\n") {
				t.Fatalf("child: want %q in\n%s", tc.want, out)
			}
		})
	}
}

func TestServedChild(t *testing.T) {
	dir := os.Getenv("WRAP_CHILD")
	if dir == "" {
		t.Skip("run by TestServed")
	}
	Preload(os.Getppid())
	if _, err := seccomp.InitSeccomp(denying("mknodat")); err != nil {
		t.Fatal(err)
	}
	mk := "ok"
	if err := os.Mkdir(dir+"/d", 0o700); err != nil {
		mk = strings.TrimPrefix(fmt.Sprint(err), "mkdir "+dir+"/d: ")
		if strings.Contains(mk, "not permitted") {
			mk = "EPERM"
		}
	}
	fmt.Printf("result: used=%v mkdir=%s\n", Used(), mk)
}
