package image

import (
	"encoding/json"
	"fmt"
)

// ReleaseKind names a container rootfs mount of an image store in a
// container's release records (package container keeps them and calls
// ReleaseMount when the container goes away).
const ReleaseKind = "image-mount"

// releaseData is what ReleaseMount needs beside the mount ID: the store
// that holds the mount, so any process releases it whatever store it was
// told to open.
type releaseData struct {
	Store string `json:"store"`
}

// ReleaseData is the release record's data for a mount of s.
func (s *Store) ReleaseData() json.RawMessage {
	b, _ := json.Marshal(releaseData{Store: s.root}) // a struct of one string: never fails
	return b
}

// ReleaseMount unmounts the rootfs mount id of the store that data (from
// ReleaseData) names and removes its writable layer. Releasing what is
// already released succeeds.
func ReleaseMount(id string, data json.RawMessage) error {
	var d releaseData
	if err := json.Unmarshal(data, &d); err != nil || d.Store == "" {
		return fmt.Errorf("image mount %s: no store in its release record", id)
	}
	st, err := Open(d.Store)
	if err != nil {
		return err
	}
	return st.Unmount(id)
}
