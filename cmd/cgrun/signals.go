package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// signalForwarder passes the signals cgrun receives to the container's
// process (as Docker's sig-proxy does), except those about cgrun itself:
// SIGCHLD, SIGPIPE, SIGURG (Go's preemption). SIGWINCH resizes the console.
// Signals that arrive before the process exists are held and sent once it
// does. Catching ends only with cgrun: signal.Stop would cost another
// hand-off per signal (2 to 6 ms, measured), and a signal that arrives while
// cgrun releases the container's resources is better caught than left to
// end cgrun halfway through.
type signalForwarder struct {
	ch      chan os.Signal
	mu      sync.Mutex
	target  func(os.Signal) error
	resize  func()
	pending []os.Signal
	ready   chan struct{} // closed once every signal is caught
	// interrupt, when set, is told of an interrupting signal that arrives
	// while no process takes the signals yet (see onInterrupt).
	interrupt func(os.Signal)
}

func forwardSignals() *signalForwarder {
	f := forwardSignalsSoon()
	<-f.ready
	return f
}

// earlySignals is the forwarder main starts, before the command line is
// parsed, for a command line that runs or execs a container (see
// warm.Command): catching begins about 2 ms earlier than the command's
// action could begin it, and is done by the time the start needs it.
var earlySignals *signalForwarder

// takeEarlySignals returns main's forwarder, once, or nil.
func takeEarlySignals() *signalForwarder {
	f := earlySignals
	earlySignals = nil
	return f
}

// forwardSignalsSoon catches the signals in the background: signal.Notify
// of every signal is one hand-off per signal with the runtime's signal
// goroutine (locked to its thread), 1.5 to 4 ms in all, which then overlaps
// the caller's work. Call wait before the container's process can exist.
// main's early forwarder, when there is one, is the one returned.
func forwardSignalsSoon() *signalForwarder {
	if f := takeEarlySignals(); f != nil {
		return f
	}
	f := &signalForwarder{ch: make(chan os.Signal, 64), ready: make(chan struct{})}
	go func() {
		signal.Notify(f.ch)
		close(f.ready)
		f.loop()
	}()
	return f
}

// wait returns once every signal is caught.
func (f *signalForwarder) wait() { <-f.ready }

func (f *signalForwarder) loop() {
	for s := range f.ch {
		switch s {
		case unix.SIGCHLD, unix.SIGPIPE, unix.SIGURG:
			continue
		}
		f.mu.Lock()
		switch {
		case s == unix.SIGWINCH:
			if f.resize != nil {
				f.resize()
			}
		case f.target == nil:
			f.pending = append(f.pending, s)
			if f.interrupt != nil && interrupting(s) {
				f.interrupt(s)
			}
		default:
			_ = f.target(s)
		}
		f.mu.Unlock()
	}
}

// to starts forwarding to send, first the signals held so far.
func (f *signalForwarder) to(send func(os.Signal) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.target = send
	for _, s := range f.pending {
		_ = send(s)
	}
	f.pending = nil
}

// keepDefaults gives every signal caught so far, and every later one, the
// action it has in a Go program that never caught it (SIGINT, SIGTERM and
// SIGHUP end cgrun): for a detached run, whose signals are not forwarded,
// when main caught them early.
func (f *signalForwarder) keepDefaults() {
	f.to(func(s os.Signal) error {
		signal.Reset(s)
		return unix.Kill(os.Getpid(), s.(unix.Signal))
	})
}

// onInterrupt makes SIGINT, SIGTERM, SIGHUP and SIGQUIT, while no process
// takes the signals yet, call interrupt: a run that is still pulling its
// image or attaching its volumes stops there, as Docker's CLI does on
// Ctrl-C, instead of holding the signal until the container exists.
func (f *signalForwarder) onInterrupt(interrupt func(os.Signal)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.interrupt = interrupt
	for _, s := range f.pending { // caught before it was set
		if f.target == nil && interrupting(s) {
			interrupt(s)
			return
		}
	}
}

func interrupting(s os.Signal) bool {
	switch s {
	case unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT:
		return true
	}
	return false
}

// interruptedError is a run stopped by a signal before its container's
// process existed: Docker's exit code for a command ended by that signal.
type interruptedError struct{ sig unix.Signal }

func (e interruptedError) Error() string {
	return fmt.Sprintf("interrupted by %s before the container started", unix.SignalName(e.sig))
}

func (e interruptedError) ExitCode() int { return 128 + int(e.sig) }

// interruption is the interruptedError that cancelled ctx, or nil.
func interruption(ctx context.Context) error {
	var ie interruptedError
	if errors.As(context.Cause(ctx), &ie) {
		return codedError{code: ie.ExitCode(), err: ie}
	}
	return nil
}

func (f *signalForwarder) onResize(resize func()) {
	f.mu.Lock()
	f.resize = resize
	f.mu.Unlock()
}
