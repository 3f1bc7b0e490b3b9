package volume

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// DefaultTgtSocket is tgtd's management socket (control port 0); tgtadm
// and tgtd honour $TGT_IPC_SOCKET as its prefix.
const DefaultTgtSocket = "/var/run/tgtd/socket.0"

// tgtd's management protocol (tgt's usr/tgtadm.h): a fixed request header,
// then its parameters as one NUL-terminated "key=value,key=value" string;
// the answer is {err, len} and len-8 bytes of text.
const (
	tgtModeAccount = 7 // MODE_ACCOUNT
	tgtOpNew       = 0 // OP_NEW
	tgtReqSize     = 120
	tgtLLDLen      = 64
)

// tgtErrors are tgtadm_errno's texts for the answers met here.
var tgtErrors = map[uint32]string{
	1: "unknown error", 2: "out of memory", 3: "can't find the driver",
	14: "this account already exists", 15: "can't find the account",
	16: "too many accounts", 17: "invalid request",
}

func tgtSocket(s string) string {
	if s != "" {
		return s
	}
	if p := os.Getenv("TGT_IPC_SOCKET"); p != "" {
		return p + ".0"
	}
	return DefaultTgtSocket
}

// tgtRequest sends one management request to tgtd over its socket, as
// tgtadm does, so that parameters (a CHAP password) are never any
// process's argument. tgtd answers root only (it checks SO_PEERCRED).
func tgtRequest(ctx context.Context, socket string, mode, op uint32, tid int32, params string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", tgtSocket(socket))
	if err != nil {
		return fmt.Errorf("tgtd's management socket: %w", err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	}
	body := append([]byte(params), 0)
	req := make([]byte, tgtReqSize, tgtReqSize+len(body))
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], mode)
	ne.PutUint32(req[4:], op)
	copy(req[8:8+tgtLLDLen-1], "iscsi")
	ne.PutUint32(req[72:], uint32(tgtReqSize+len(body))) // len
	ne.PutUint32(req[76:], uint32(tid))                  // tid
	// sid (80) and the rest 0; lun as tgtadm leaves it
	ne.PutUint64(req[88:], ^uint64(0))
	if _, err := c.Write(append(req, body...)); err != nil {
		return fmt.Errorf("tgtd's management socket: %w", err)
	}
	var rsp [8]byte
	if _, err := io.ReadFull(c, rsp[:]); err != nil {
		return fmt.Errorf("tgtd's answer: %w", err)
	}
	if code := ne.Uint32(rsp[0:]); code != 0 {
		msg, ok := tgtErrors[code]
		if !ok {
			msg = fmt.Sprintf("error %d", code)
		}
		return fmt.Errorf("tgtd: %s: %w", msg, ErrCommand)
	}
	if n := int64(ne.Uint32(rsp[4:])) - 8; n > 0 {
		_, _ = io.CopyN(io.Discard, c, n)
	}
	return nil
}

// newAccount creates tgtd's CHAP account user with secret through the
// management socket (`tgtadm --password` would put it in argv).
func (t Tgt) newAccount(ctx context.Context, user, secret string) error {
	if strings.ContainsAny(user, ",=") {
		return invalidf("CHAP user %q: must not hold ',' or '='", user)
	}
	err := tgtRequest(ctx, t.Socket, tgtModeAccount, tgtOpNew, -1, "user="+user+",password="+secret)
	if errors.Is(err, ErrCommand) {
		return fmt.Errorf("create CHAP account %s: %w", user, err)
	}
	return err
}
