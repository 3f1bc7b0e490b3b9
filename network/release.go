package network

import (
	"context"
	"encoding/json"
	"fmt"
)

// ReleaseKind names a container's network attachment in its release
// records (package container keeps them and calls Release when the
// container goes away).
const ReleaseKind = "network"

type releaseData struct {
	Options    Options    `json:"options"`
	Attachment Attachment `json:"attachment"`
}

// ReleaseData is the release record's data for attachment a of the
// manager's networks. Record it before Attach: a crash in between leaves
// it recorded, and Release is idempotent.
func (m *Manager) ReleaseData(a Attachment) json.RawMessage {
	b, _ := json.Marshal(releaseData{Options: m.opts, Attachment: a}) // strings and numbers: never fails
	return b
}

// Release detaches the attachment that data (from ReleaseData) records.
// Releasing what is already released succeeds.
func Release(_ string, data json.RawMessage) error {
	var d releaseData
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("network release data: %w", err)
	}
	return NewManager(d.Options).Detach(context.Background(), d.Attachment)
}
