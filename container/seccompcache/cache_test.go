package seccompcache

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
)

func TestParse(t *testing.T) {
	e := Entry{Transcript: []byte("calls"), Program: bytes.Repeat([]byte{1}, 16)}
	got, err := Parse(e.Bytes())
	if err != nil || !bytes.Equal(got.Transcript, e.Transcript) || !bytes.Equal(got.Program, e.Program) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	b := e.Bytes()
	for name, bad := range map[string][]byte{
		"empty":           nil,
		"another magic":   append([]byte("CGRUN-SECCOMP-2\n"), b[len(Magic):]...),
		"cut":             b[:len(b)-1],
		"longer":          append(append([]byte{}, b...), 0),
		"no program":      Entry{Transcript: []byte("x")}.Bytes(),
		"a partial insn":  Entry{Transcript: []byte("x"), Program: []byte{1, 2, 3}}.Bytes(),
		"header only":     b[:headerLen],
		"lengths too big": append(append([]byte(Magic), 0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0), make([]byte, 8)...),
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Entry{Transcript: []byte("calls"), Program: make([]byte, 8)}.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err == nil && !bytes.Equal(e.Bytes(), b) {
			t.Fatal("an entry that does not write back as read")
		}
	})
}

// fakeCompiler is an init binary whose compiler prints entry and counts its
// runs in a file beside it.
func fakeCompiler(t *testing.T, entry Entry) (bin string, runs func() int) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "entry")
	if err := os.WriteFile(out, entry.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "cgrun-init")
	script := "#!/bin/sh\n[ \"$1\" = " + CompileArg + " ] || exit 2\ncat >/dev/null\necho x >>" + dir + "/runs\ncat " + out + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, func() int {
		b, _ := os.ReadFile(filepath.Join(dir, "runs"))
		return strings.Count(string(b), "x")
	}
}

func TestLookup(t *testing.T) {
	want := Entry{Transcript: []byte("calls"), Program: make([]byte, 64)}
	bin, runs := fakeCompiler(t, want)
	root := t.TempDir()
	s := &configs.Seccomp{DefaultAction: configs.Errno, Architectures: []string{"amd64"}}
	for i := 0; i < 2; i++ {
		got, err := Lookup(root, bin, s)
		if err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("lookup %d: %v", i, err)
		}
	}
	if runs() != 1 {
		t.Fatalf("compiled %d times for one filter", runs())
	}
	key, err := Key(bin, s)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, Dir, key)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("entry %s: %v %v", path, fi, err)
	}
	if di, _ := os.Stat(filepath.Join(root, Dir)); di.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory %v", di.Mode())
	}
	// another filter, another key and a compile of its own
	s2 := &configs.Seccomp{DefaultAction: configs.Allow}
	if _, err := Lookup(root, bin, s2); err != nil || runs() != 2 {
		t.Fatalf("another filter: %v, %d runs", err, runs())
	}
	// an entry others may write is not trusted: compiled again, replaced
	if err := os.WriteFile(path, Entry{Transcript: []byte("forged"), Program: make([]byte, 8)}.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o622); err != nil {
		t.Fatal(err)
	}
	got, err := Lookup(root, bin, s)
	if err != nil || !bytes.Equal(got.Transcript, want.Transcript) || runs() != 3 {
		t.Fatalf("an entry others may write: %q, %v, %d runs", got.Transcript, err, runs())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("replaced entry %v", fi.Mode())
	}
	// both filters' entries under the binary's directory, nothing else
	binDir := filepath.Join(root, Dir, filepath.Dir(key))
	if ents, _ := os.ReadDir(binDir); len(ents) != 2 {
		t.Fatalf("%d files in the cache, want the 2 entries (no temporary file is named)", len(ents))
	}
	// a new init binary (another identity): its own key, its own compile,
	// and its predecessor's entries gone
	if err := os.Chtimes(bin, fi.ModTime(), fi.ModTime().Add(1)); err != nil {
		t.Fatal(err)
	}
	key2, _ := Key(bin, s)
	if filepath.Dir(key2) == filepath.Dir(key) {
		t.Fatal("the init binary changed and its part of the key did not")
	}
	if _, err := Lookup(root, bin, s); err != nil || runs() != 4 {
		t.Fatalf("a new init binary: %v, %d runs", err, runs())
	}
	if _, err := os.Stat(binDir); !os.IsNotExist(err) {
		t.Fatalf("the old binary's entries are still there: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, Dir)); len(ents) != 1 || ents[0].Name() != filepath.Dir(key2) {
		t.Fatalf("cache directory holds %v, want the new binary's alone", ents)
	}
}

func TestLookupRefusesWhatTheCompilerPrints(t *testing.T) {
	bin, _ := fakeCompiler(t, Entry{})
	root := t.TempDir()
	if _, err := Lookup(root, bin, &configs.Seccomp{}); err == nil {
		t.Fatal("a compiler's bad output was taken")
	}
	if ents, _ := os.ReadDir(filepath.Join(root, Dir)); len(ents) != 0 {
		t.Fatalf("%d files left in the cache", len(ents))
	}
}

func TestMemfdSealed(t *testing.T) {
	f, err := Memfd(Entry{Transcript: []byte("t"), Program: make([]byte, 8)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		t.Fatal("the memfd took a write")
	}
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil || !strings.HasPrefix(link, "/memfd:"+MemfdName+" ") {
		t.Fatalf("memfd %q, %v", link, err)
	}
}
