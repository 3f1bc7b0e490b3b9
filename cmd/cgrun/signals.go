package main

import (
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
}

func forwardSignals() *signalForwarder {
	f := forwardSignalsSoon()
	<-f.ready
	return f
}

// forwardSignalsSoon catches the signals in the background: signal.Notify
// of every signal is one hand-off per signal with the runtime's signal
// goroutine (locked to its thread), 2 to 6 ms in all, which then overlaps
// the caller's work. Call wait before the container's process can exist.
func forwardSignalsSoon() *signalForwarder {
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

func (f *signalForwarder) onResize(resize func()) {
	f.mu.Lock()
	f.resize = resize
	f.mu.Unlock()
}
