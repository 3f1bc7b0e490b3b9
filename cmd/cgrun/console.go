package main

import (
	"fmt"
	"io"
	"os"

	"github.com/containerd/console"
	"github.com/opencontainers/runc/libcontainer/utils"
)

// console is the pseudo-terminal of a -t container: libcontainer's init
// sends the master end over socket; cgrun copies it to and from its own
// terminal, which it puts in raw mode meanwhile.
type ttyConsole struct {
	socket      *os.File // the child end, handed to libcontainer
	parent      *os.File
	received    chan error
	master      console.Console
	host        console.Console // cgrun's terminal, nil when stdin is none
	interactive bool
	out         chan struct{}
}

func newConsole(interactive bool) (*ttyConsole, error) {
	parent, child, err := utils.NewSockPair("console")
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	c := &ttyConsole{socket: child, parent: parent, received: make(chan error, 1), interactive: interactive}
	go func() {
		f, err := utils.RecvFile(parent)
		if err == nil {
			c.master, err = console.ConsoleFromFile(f)
		}
		c.received <- err
	}()
	return c, nil
}

// attach waits for the master and starts copying.
func (c *ttyConsole) attach() error {
	if err := <-c.received; err != nil {
		return fmt.Errorf("receive console: %w", err)
	}
	c.socket.Close()
	c.parent.Close()
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
	c.socket.Close()
	c.parent.Close()
}
