package volume

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Session is one line of `iscsiadm -m session`:
//
//	tcp: [1] 127.0.0.1:3260,1 iqn.2024-01.test.cgrun:vol1 (non-flash)
type Session struct {
	Transport string
	SID       int
	Portal    string // host:port
	TPGT      int
	IQN       string
}

// NodeEntry is one line of `iscsiadm -m node`:
//
//	127.0.0.1:3260,4294967295 iqn.2024-01.test.cgrun:vol1
type NodeEntry struct {
	Portal string
	TPGT   int64
	IQN    string
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// ParseSessions parses `iscsiadm -m session` output.
func ParseSessions(r io.Reader) ([]Session, error) {
	var out []Session
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "iscsiadm:") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasSuffix(f[0], ":") || !strings.HasPrefix(f[1], "[") || !strings.HasSuffix(f[1], "]") {
			return nil, fmt.Errorf("%w: unexpected iscsiadm session line %q", ErrCommand, line)
		}
		sid, err := strconv.Atoi(strings.Trim(f[1], "[]"))
		if err != nil {
			return nil, fmt.Errorf("%w: bad session id in %q", ErrCommand, line)
		}
		portal, tpgt, err := splitTPGT(f[2])
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrCommand, line, err)
		}
		out = append(out, Session{Transport: strings.TrimSuffix(f[0], ":"), SID: sid, Portal: portal, TPGT: int(tpgt), IQN: f[3]})
	}
	return out, sc.Err()
}

// ParseNodes parses `iscsiadm -m node` output.
func ParseNodes(r io.Reader) ([]NodeEntry, error) {
	var out []NodeEntry
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "iscsiadm:") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: unexpected iscsiadm node line %q", ErrCommand, line)
		}
		portal, tpgt, err := splitTPGT(f[0])
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrCommand, line, err)
		}
		out = append(out, NodeEntry{Portal: portal, TPGT: tpgt, IQN: f[1]})
	}
	return out, sc.Err()
}

// splitTPGT splits "127.0.0.1:3260,1" (or "[::1]:3260,1") into portal and tpgt.
func splitTPGT(s string) (string, int64, error) {
	i := strings.LastIndexByte(s, ',')
	if i < 0 {
		return s, -1, nil
	}
	tpgt, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("bad portal group tag in %q", s)
	}
	return s[:i], tpgt, nil
}
