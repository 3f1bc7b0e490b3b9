package logs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig("", nil)
	if err != nil || c != Default() {
		t.Fatalf("default: %+v %v", c, err)
	}
	c, err = ParseConfig("json-file", []string{"max-size=1m,max-file=5"})
	if err != nil || c.MaxSize != 1<<20 || c.MaxFile != 5 {
		t.Fatalf("max-size=1m,max-file=5: %+v %v", c, err)
	}
	c, err = ParseConfig("json-file", []string{"max-size=-1", "max-file=1"})
	if err != nil || c.MaxSize != -1 || c.MaxFile != 1 {
		t.Fatalf("max-size=-1: %+v %v", c, err)
	}
	if c, err := ParseConfig("none", nil); err != nil || c.Driver != DriverNone {
		t.Fatalf("none: %+v %v", c, err)
	}
	for _, bad := range []struct {
		driver string
		opts   []string
		flag   string
	}{
		{"syslog", nil, "--log-driver"},
		{"", []string{"max-size=0"}, "--log-opt"},
		{"", []string{"max-size=abc"}, "--log-opt"},
		{"", []string{"max-file=0"}, "--log-opt"},
		{"", []string{"max-file=x"}, "--log-opt"},
		{"", []string{"compress=true"}, "--log-opt"},
		{"", []string{"max-size"}, "--log-opt"},
		{"none", []string{"max-file=2"}, "--log-opt"},
	} {
		_, err := ParseConfig(bad.driver, bad.opts)
		oe, ok := err.(*OptError)
		if !ok || oe.Flag != bad.flag {
			t.Errorf("%q %q: %v, want an OptError of %s", bad.driver, bad.opts, err, bad.flag)
		}
	}
}

// The log never holds more than MaxFile files of about MaxSize each, and
// keeps the newest lines.
func TestWriterRotatesWithinBounds(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Config{Driver: DriverJSONFile, MaxSize: 4096, MaxFile: 3})
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&in, "line %04d\n", i)
	}
	if err := w.Copy("stdout", &in); err != nil {
		t.Fatal(err)
	}
	w.Close()
	paths, _ := files(dir)
	if len(paths) != 3 {
		t.Fatalf("files: %v, want 3", paths)
	}
	var total int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 4096 {
			t.Errorf("%s: %d bytes, over max-size 4096", p, fi.Size())
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
		total += fi.Size()
	}
	var out bytes.Buffer
	if err := Read(context.Background(), dir, ReadOptions{Tail: -1}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if lines[len(lines)-1] != "line 1999" {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	for i := 1; i < len(lines); i++ {
		if lines[i] <= lines[i-1] {
			t.Fatalf("lines out of order at %d: %q then %q", i, lines[i-1], lines[i])
		}
	}
	t.Logf("%d lines kept in %d bytes", len(lines), total)
}

func TestReadStreamsTailSince(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Default())
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tick := 0
	w.Now = func() time.Time { tick++; return base.Add(time.Duration(tick) * time.Minute) }
	for i := 1; i <= 4; i++ {
		stream := "stdout"
		if i%2 == 0 {
			stream = "stderr"
		}
		if err := w.Copy(stream, strings.NewReader(fmt.Sprintf("%s %d\n", stream, i))); err != nil {
			t.Fatal(err)
		}
	}
	// a long line is split, a last partial line kept as it is
	if err := w.Copy("stdout", strings.NewReader(strings.Repeat("x", maxLine+10)+"\npartial")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	read := func(o ReadOptions) (string, string) {
		var out, errb bytes.Buffer
		if err := Read(context.Background(), dir, o, &out, &errb); err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String()
	}
	out, errs := read(ReadOptions{Tail: -1})
	if !strings.HasPrefix(out, "stdout 1\nstdout 3\n") || !strings.HasSuffix(out, "x\npartial") || len(out) != len("stdout 1\nstdout 3\n")+maxLine+11+len("partial") {
		t.Errorf("stdout: %.40q... (%d bytes)", out, len(out))
	}
	if errs != "stderr 2\nstderr 4\n" {
		t.Errorf("stderr: %q", errs)
	}
	out, errs = read(ReadOptions{Tail: 4}) // stderr 4, the two parts of the long line, partial
	if errs != "stderr 4\n" || !strings.HasSuffix(out, "partial") {
		t.Errorf("tail 4: %.40q / %q", out, errs)
	}
	out, errs = read(ReadOptions{Tail: -1, Since: base.Add(2 * time.Minute), Until: base.Add(3 * time.Minute)})
	if out != "stdout 3\n" || errs != "stderr 2\n" {
		t.Errorf("since/until: %q / %q", out, errs)
	}
	out, _ = read(ReadOptions{Tail: 1, Timestamps: true})
	if !strings.HasPrefix(out, base.Add(7*time.Minute).Format(time.RFC3339Nano)+" partial") {
		t.Errorf("timestamps: %q", out)
	}
}

// Follow prints what is written after it started, across rotations, and
// ends once the container ended and the log is read.
func TestReadFollowsAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Config{Driver: DriverJSONFile, MaxSize: 2048, MaxFile: 5})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	running := true
	var out syncBuffer
	done := make(chan error)
	go func() {
		done <- Read(context.Background(), dir, ReadOptions{Tail: -1, Follow: true, Running: func() bool {
			mu.Lock()
			defer mu.Unlock()
			return running
		}}, &out, io.Discard)
	}()
	for i := 0; i < 100; i++ {
		if err := w.Copy("stdout", strings.NewReader(fmt.Sprintf("line %03d\n", i))); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			time.Sleep(30 * time.Millisecond)
		}
	}
	w.Close()
	mu.Lock()
	running = false
	mu.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not end after the container did")
	}
	got := out.String()
	if !strings.HasPrefix(got, "line 000\n") || !strings.HasSuffix(got, "line 099\n") || strings.Count(got, "\n") != 100 {
		t.Errorf("followed %d lines: %.60q ... %q", strings.Count(got, "\n"), got, got[max(0, len(got)-20):])
	}
	if paths, _ := files(dir); len(paths) < 2 {
		t.Errorf("no rotation happened: %v", paths)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"10m":                  now.Add(-10 * time.Minute),
		"2026-11-26T11:00:00Z": now.Add(-time.Hour),
		"2026-11-26":           time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		"1764158400":           time.Unix(1764158400, 0),
	} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseTime("yesterday", now); err == nil {
		t.Error("yesterday accepted")
	}
}
