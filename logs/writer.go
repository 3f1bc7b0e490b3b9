package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// maxLine is the longest text one entry holds: a longer line is split, as
// Docker's copier splits at 16 KiB (the parts carry no newline).
const maxLine = 16 << 10

// Writer appends a container's output to its log directory, rotating the
// file at the configured size. Its methods are safe for concurrent use
// (stdout and stderr copied at once).
type Writer struct {
	mu     sync.Mutex
	dir    string
	cfg    Config
	f      *os.File
	size   int64
	closed bool
	// Now stamps the entries (time.Now); tests set it.
	Now func() time.Time
}

// Open opens (creating, 0700 and 0600) the log in dir for appending.
func Open(dir string, cfg Config) (*Writer, error) {
	if cfg.Driver != DriverJSONFile {
		return nil, fmt.Errorf("container log: driver %s keeps no log", cfg.Driver)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("container log: %w", err)
	}
	w := &Writer{dir: dir, cfg: cfg, Now: time.Now}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(filepath.Join(w.dir, FileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("container log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("container log: %w", err)
	}
	w.f, w.size = f, fi.Size()
	return nil
}

// Close closes the log file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// Copy writes what r yields to the log, one entry per line of stream
// ("stdout" or "stderr"), until r ends (EOF, or EIO from a terminal whose
// other end closed); a last line without a newline is written as it is.
// A line the log cannot take (a full disk) is dropped and the copy goes
// on, as Docker's json-file does: the container never blocks on its log.
func (w *Writer) Copy(stream string, r io.Reader) error {
	buf := make([]byte, 32<<10)
	var line []byte
	write := func(stream string, text []byte) { _ = w.write(stream, text) } // dropped when it cannot be written
	for {
		n, err := r.Read(buf)
		data := buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			end := i + 1
			if i < 0 {
				end = len(data)
			}
			line = append(line, data[:end]...)
			data = data[end:]
			for len(line) > maxLine || (len(line) == maxLine && i < 0) {
				write(stream, line[:maxLine])
				line = append(line[:0], line[maxLine:]...)
			}
			if i >= 0 && len(line) > 0 {
				write(stream, line)
				line = line[:0]
			}
		}
		if err != nil {
			if len(line) > 0 {
				write(stream, line)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
	}
}

// write appends one entry, rotating first when it would pass MaxSize.
func (w *Writer) write(stream string, text []byte) error {
	b, err := json.Marshal(entry{Log: string(text), Stream: stream, Time: w.Now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return os.ErrClosed
	}
	if w.f == nil { // a rotation that failed (a full disk): try again
		if err := w.open(); err != nil {
			return err
		}
	}
	if w.cfg.MaxSize > 0 && w.size > 0 && w.size+int64(len(b)) > w.cfg.MaxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(b)
	if err != nil && n > 0 {
		// no torn entry: the file ends at the last whole line
		if terr := w.f.Truncate(w.size); terr == nil {
			n = 0
		}
	}
	w.size += int64(n)
	return err
}

// rotate shifts json.log to json.log.1, .1 to .2 and so on, dropping the
// oldest beyond MaxFile files, and starts an empty json.log.
func (w *Writer) rotate() error {
	w.f.Close()
	w.f = nil
	cur := filepath.Join(w.dir, FileName)
	if w.cfg.MaxFile <= 1 {
		if err := os.Remove(cur); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate container log: %w", err)
		}
	} else {
		for i := w.cfg.MaxFile - 1; i >= 1; i-- {
			src := cur
			if i > 1 {
				src = cur + "." + strconv.Itoa(i-1)
			}
			if err := os.Rename(src, cur+"."+strconv.Itoa(i)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("rotate container log: %w", err)
			}
		}
	}
	return w.open()
}
