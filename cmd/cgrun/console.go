package main

import (
	"io"
	"os"

	"github.com/containerd/console"

	"github.com/cgrun/cgrun/runner"
)

// ttyConsole is the pseudo-terminal of a -t container: the runner's console
// socket receives the master end; cgrun copies it to and from its own
// terminal, which it puts in raw mode meanwhile.
type ttyConsole struct {
	rc          *runner.Console
	master      console.Console
	host        console.Console // cgrun's terminal, nil when stdin is none
	interactive bool
	out         chan struct{}
}

func newConsole(interactive bool) (*ttyConsole, error) {
	rc, err := runner.NewConsole()
	if err != nil {
		return nil, err
	}
	return &ttyConsole{rc: rc, interactive: interactive}, nil
}

// socket is the end handed to the container (IO.ConsoleSocket).
func (c *ttyConsole) socket() *os.File { return c.rc.Socket }

// attach waits for the master and starts copying.
func (c *ttyConsole) attach() error {
	m, err := c.rc.Master()
	if err != nil {
		return err
	}
	c.master = m
	if h, err := console.ConsoleFromFile(os.Stdin); err == nil {
		c.host = h
		_ = c.host.SetRaw()
		c.resize()
	}
	if c.interactive {
		go func() { _, _ = io.Copy(c.master, os.Stdin) }()
	}
	c.out = make(chan struct{})
	go func() {
		_, _ = io.Copy(os.Stdout, c.master)
		close(c.out)
	}()
	return nil
}

func (c *ttyConsole) resize() {
	if c.host != nil && c.master != nil {
		_ = c.master.ResizeFrom(c.host)
	}
}

// drain waits for the container's last output once its process ended.
func (c *ttyConsole) drain() {
	if c.out != nil {
		<-c.out
	}
}

func (c *ttyConsole) close() {
	if c.host != nil {
		_ = c.host.Reset()
	}
	if c.master != nil {
		_ = c.master.Close()
	}
	c.rc.Close()
}
