package logs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ReadOptions select what Read prints, as `docker logs` does.
type ReadOptions struct {
	// Tail prints the last Tail entries only (negative: all).
	Tail int
	// Since and Until bound the entries' times (zero: no bound).
	Since, Until time.Time
	// Timestamps prefixes each entry with its time (RFC3339Nano).
	Timestamps bool
	// Follow keeps printing what comes until ctx ends or, once the log
	// has no more, Running says the container ended.
	Follow  bool
	Running func() bool
}

// pollInterval is how often a followed log is looked at again.
const pollInterval = 100 * time.Millisecond

// files lists the log's files, oldest first: json.log.N ... json.log.1,
// json.log.
func files(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type numbered struct {
		n    int
		path string
	}
	var rotated []numbered
	for _, e := range ents {
		if s, ok := strings.CutPrefix(e.Name(), FileName+"."); ok {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				rotated = append(rotated, numbered{n, filepath.Join(dir, e.Name())})
			}
		}
	}
	sort.Slice(rotated, func(i, j int) bool { return rotated[i].n > rotated[j].n })
	var out []string
	for _, r := range rotated {
		out = append(out, r.path)
	}
	return append(out, filepath.Join(dir, FileName)), nil
}

// printer writes selected entries to stdout or stderr.
type printer struct {
	o              ReadOptions
	stdout, stderr io.Writer
}

func (p *printer) selected(e *entry) bool {
	if p.o.Since.IsZero() && p.o.Until.IsZero() {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, e.Time)
	if err != nil {
		return false
	}
	return (p.o.Since.IsZero() || !t.Before(p.o.Since)) && (p.o.Until.IsZero() || !t.After(p.o.Until))
}

func (p *printer) print(e *entry) error {
	w := p.stdout
	if e.Stream == "stderr" {
		w = p.stderr
	}
	text := e.Log
	if p.o.Timestamps {
		text = e.Time + " " + text
	}
	_, err := io.WriteString(w, text)
	return err
}

// scan reads the entries of r from its position, calling each for the
// selected ones; a last line not yet complete (being written) is left for
// the next scan: it returns how many bytes it consumed.
func (p *printer) scan(r io.Reader, each func(*entry) error) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var consumed int64
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			consumed += int64(len(line))
			var e entry
			if json.Unmarshal(line, &e) == nil && p.selected(&e) {
				if perr := each(&e); perr != nil {
					return consumed, perr
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return consumed, nil
			}
			return consumed, err
		}
	}
}

// Read prints the log in dir: stdout entries to stdout, stderr entries to
// stderr, oldest first across the rotated files, as o selects. A log not
// made yet is empty.
func Read(ctx context.Context, dir string, o ReadOptions, stdout, stderr io.Writer) error {
	p := &printer{o: o, stdout: stdout, stderr: stderr}
	paths, err := files(dir)
	if errors.Is(err, os.ErrNotExist) { // nothing written yet
		paths, err = []string{filepath.Join(dir, FileName)}, nil
	}
	if err != nil {
		return err
	}
	// The current file stays open for Follow: a rotation renames it, and
	// what was written to it before is read through this descriptor.
	cur, err := os.Open(paths[len(paths)-1])
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	defer func() { // the one open at the end: Follow may open it later
		if cur != nil {
			cur.Close()
		}
	}()
	var pos int64
	var tail []*entry
	keep := func(e *entry) error {
		if o.Tail < 0 {
			return p.print(e)
		}
		if o.Tail == 0 {
			return nil
		}
		c := *e
		tail = append(tail, &c)
		if len(tail) > o.Tail {
			tail = tail[1:]
		}
		return nil
	}
	for _, path := range paths[:len(paths)-1] {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) { // rotated away meanwhile
			continue
		}
		if err != nil {
			return err
		}
		_, err = p.scan(f, keep)
		f.Close()
		if err != nil {
			return err
		}
	}
	if cur != nil {
		n, err := p.scan(cur, keep)
		pos += n
		if err != nil {
			return err
		}
	}
	for _, e := range tail {
		if err := p.print(e); err != nil {
			return err
		}
	}
	if !o.Follow {
		return nil
	}
	current := filepath.Join(dir, FileName)
	for {
		ended := o.Running != nil && !o.Running()
		if cur != nil {
			if _, err := cur.Seek(pos, io.SeekStart); err != nil {
				return err
			}
			n, err := p.scan(cur, p.print)
			pos += n
			if err != nil {
				return err
			}
		}
		// rotated (or made): read the new file from its start
		if fi, err := os.Stat(current); err == nil {
			var same bool
			if cur != nil {
				if cfi, err := cur.Stat(); err == nil {
					same = os.SameFile(fi, cfi)
				}
			}
			if !same {
				if cur != nil {
					cur.Close()
				}
				if cur, err = os.Open(current); err != nil {
					return err
				}
				pos = 0
				continue
			}
		}
		if ended {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pollInterval):
		}
	}
}

// ParseTime reads a --since or --until value as Docker does: an RFC 3339
// time (or date), a Unix time in seconds, or a duration before now
// ("10m").
func ParseTime(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(secs*1e9)), nil
	}
	return time.Time{}, errors.New("must be a time (2026-01-02T15:04:05Z), a Unix time or a duration before now (10m)")
}
