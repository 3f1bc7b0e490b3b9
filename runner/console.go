package runner

import (
	"errors"
	"fmt"
	"os"

	"github.com/containerd/console"
	"github.com/opencontainers/runc/libcontainer/utils"
	"golang.org/x/sys/unix"

	"github.com/cgrun/cgrun/shim"
)

// consoleTag is the supervisor's name for a container's console master.
const consoleTag = "console"

// Console receives the pseudo-terminal of a container whose process has
// Process.Terminal: pass Socket as the request's IO.ConsoleSocket;
// libcontainer's init sends the terminal's master end over it.
type Console struct {
	// Socket is the end handed to the container (IO.ConsoleSocket).
	Socket   *os.File
	parent   *os.File
	received chan consoleResult
}

type consoleResult struct {
	master console.Console
	err    error
}

// NewConsole makes the socket pair and starts waiting for the master.
func NewConsole() (*Console, error) {
	parent, child, err := utils.NewSockPair("console")
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	c := &Console{Socket: child, parent: parent, received: make(chan consoleResult, 1)}
	go func() {
		var res consoleResult
		f, err := recvFile(parent)
		if err == nil {
			// kept open by the supervisor should this process die: the
			// container keeps its terminal, for the adopter
			_ = shim.Keep(consoleTag, f)
			res.master, err = console.ConsoleFromFile(f)
		}
		res.err = err
		c.received <- res
	}()
	return c, nil
}

// Master waits for the container's terminal (call it once the container
// started) and closes the socket pair.
func (c *Console) Master() (console.Console, error) {
	res := <-c.received
	c.closeSockets()
	if res.err != nil {
		return nil, fmt.Errorf("receive console: %w", res.err)
	}
	return res.master, nil
}

// Close closes the socket pair (the master, once received, is the
// caller's).
func (c *Console) Close() { c.closeSockets() }

func (c *Console) closeSockets() {
	c.Socket.Close()
	c.parent.Close()
}

// recvFile receives one file descriptor sent with SCM_RIGHTS over socket,
// named by the message's bytes (libcontainer sends the terminal's master
// so). Descriptors beyond the first are closed.
func recvFile(socket *os.File) (*os.File, error) {
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(int(socket.Fd()), name, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, os.NewSyscallError("recvmsg", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		if m.Header.Type == unix.SCM_RIGHTS {
			got, err := unix.ParseUnixRights(&m)
			if err == nil {
				fds = append(fds, got...)
			}
		}
	}
	if len(fds) == 0 {
		return nil, errors.New("console socket: no file descriptor received")
	}
	for _, fd := range fds[1:] {
		_ = unix.Close(fd)
	}
	return os.NewFile(uintptr(fds[0]), string(name[:n])), nil
}
