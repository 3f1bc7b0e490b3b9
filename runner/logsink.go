package runner

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/cgrun/cgrun/container"
	"github.com/cgrun/cgrun/logs"
	"github.com/cgrun/cgrun/shim"
)

// Tags under which the supervisor keeps a detached container's output
// pipes (read ends) across the monitor's death, for the adopter.
const (
	stdoutTag = "out"
	stderrTag = "err"
)

// logSink copies a detached container's output into its log (package
// logs): stdout and stderr through pipes, or its terminal, each run's.
type logSink struct {
	w        *logs.Writer // nil: the output is dropped (driver none)
	copies   sync.WaitGroup
	consoles []*Console
}

func openLogSink(st *container.State) (*logSink, error) {
	s := &logSink{}
	if st.Log != nil && st.Log.Driver == logs.DriverJSONFile && st.LogDir != "" {
		w, err := logs.Open(st.LogDir, *st.Log)
		if err != nil {
			return nil, err
		}
		s.w = w
	}
	return s, nil
}

// copy copies r into the log as stream until r ends, then closes it.
func (s *logSink) copy(stream string, r io.ReadCloser) {
	s.copies.Add(1)
	go func() {
		defer s.copies.Done()
		defer r.Close()
		if s.w == nil {
			_, _ = io.Copy(io.Discard, r)
			return
		}
		_ = s.w.Copy(stream, r)
	}()
}

// stdio is the stdio of one run of container st: pipes copied into the
// log (their read ends kept by the supervisor), or a new console copied
// from the moment libcontainer hands its master over; nothing (/dev/null)
// when the log is dropped and there is no terminal.
func (s *logSink) stdio(st *container.State) (container.IO, error) {
	if st.Spec.Process.Terminal {
		c, err := NewConsole()
		if err != nil {
			return container.IO{}, err
		}
		s.consoles = append(s.consoles, c)
		s.copies.Add(1)
		go func() {
			defer s.copies.Done()
			if master, err := c.Master(); err == nil {
				s.copy("stdout", master)
			}
		}()
		return container.IO{ConsoleSocket: c.Socket}, nil
	}
	if s.w == nil {
		return container.IO{}, nil
	}
	p, err := newOutputPipes()
	if err != nil {
		return container.IO{}, err
	}
	_ = p.keep() // best effort: this process copies them
	s.copy("stdout", p.outR)
	s.copy("stderr", p.errR)
	return p.io(), nil
}

// handoffStdio is stdio for a container the supervisor takes over: the
// pipes' read ends kept by the supervisor, which copies them, and returned
// (stdout's, stderr's) for this process to close once it handed the
// container off, or to copy if it could not; no pipes when the log is
// dropped.
func (s *logSink) handoffStdio(st *container.State) (container.IO, []*os.File, error) {
	if s.w == nil {
		return container.IO{}, nil, nil
	}
	p, err := newOutputPipes()
	if err != nil {
		return container.IO{}, nil, err
	}
	if err := p.keep(); err != nil {
		closeAll([]*os.File{p.outR, p.outW, p.errR, p.errW})
		return container.IO{}, nil, err
	}
	return p.io(), []*os.File{p.outR, p.errR}, nil
}

// outputPipes are a container's stdout and stderr pipes: the write ends
// for the container, closed here once it started; the read ends for the
// log's copies, which the supervisor keeps open past this process.
type outputPipes struct{ outR, outW, errR, errW *os.File }

func newOutputPipes() (*outputPipes, error) {
	or, ow, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	er, ew, err := os.Pipe()
	if err != nil {
		or.Close()
		ow.Close()
		return nil, err
	}
	return &outputPipes{outR: or, outW: ow, errR: er, errW: ew}, nil
}

// keep hands the read ends to the supervisor.
func (p *outputPipes) keep() error {
	return errors.Join(shim.Keep(stdoutTag, p.outR), shim.Keep(stderrTag, p.errR))
}

// io is the container's side.
func (p *outputPipes) io() container.IO {
	return container.IO{Stdout: p.outW, Stderr: p.errW, CloseAfterStart: []io.Closer{p.outW, p.errW}}
}

// close waits, at most d, for the copies to reach the end of the output
// (the container's processes closed their ends), and closes the log.
func (s *logSink) close(d time.Duration) {
	for _, c := range s.consoles {
		c.Close() // unblocks a copy whose run never started
	}
	waitCopies(&s.copies, d)
	if s.w != nil {
		_ = s.w.Close()
	}
}
