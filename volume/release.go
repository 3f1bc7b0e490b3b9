package volume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// ReleaseKind names an attachment of a volume to a container in the
// container's release records (package container keeps them and calls
// Release when the container goes away).
const ReleaseKind = "volume"

// releaseData is what Release needs beside the volume name.
type releaseData struct {
	User     string `json:"user"`
	StateDir string `json:"stateDir"`
}

// ReleaseData is the release record's data for user's attachment in the
// registry at stateDir. Record it before attaching: a crash in between
// leaves it recorded, and Release is idempotent.
func ReleaseData(stateDir, user string) json.RawMessage {
	b, _ := json.Marshal(releaseData{User: user, StateDir: stateDir}) // two strings: never fails
	return b
}

// Release detaches volume name for the user that data (from ReleaseData)
// names. Releasing what is not attached, or a volume no longer
// registered, succeeds.
func Release(name string, data json.RawMessage) error {
	var d releaseData
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("volume release data of %s: %w", name, err)
	}
	err := NewManager(Options{StateDir: d.StateDir}).Detach(context.Background(), name, d.User)
	if errors.Is(err, ErrNotFound) {
		return nil // not registered: nothing of it can be attached
	}
	return err
}
