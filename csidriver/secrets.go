package csidriver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cgrun/cgrun/volume"
)

// CHAP credentials come in CSI secrets (a StorageClass's provisioner and
// node-stage secrets), under open-iscsi's own names for them, as
// csi-lib-iscsi's users give them.
const (
	secretUser         = "node.session.auth.username"
	secretPassword     = "node.session.auth.password"
	secretMutualUser   = "node.session.auth.username_in"
	secretMutualSecret = "node.session.auth.password_in"
)

// The volume library reads CHAP secrets from files that only their owner
// may read, at each use, and never stores or shows them: the plugin writes
// a call's secrets to such files in the registry (a 0700 directory),
// CREATOR.ID.KEY, made whole through a rename, and removes them with the
// volume (DeleteVolume) or the node's registration (NodeUnstageVolume).
func (d *Driver) secretDir() string { return filepath.Join(d.m.Store().Dir, ".csi-secrets") }

// chapFromSecrets turns a call's secrets into the volume's CHAP, written
// under prefix; nil when the secrets hold none.
func (d *Driver) chapFromSecrets(prefix string, s map[string]string) (*volume.CHAP, error) {
	user, pass := s[secretUser], s[secretPassword]
	muser, mpass := s[secretMutualUser], s[secretMutualSecret]
	if user == "" && pass == "" && muser == "" && mpass == "" {
		return nil, nil
	}
	if user == "" || pass == "" {
		return nil, invalid("secrets: CHAP needs both %s and %s", secretUser, secretPassword)
	}
	if (muser == "") != (mpass == "") {
		return nil, invalid("secrets: mutual CHAP needs both %s and %s", secretMutualUser, secretMutualSecret)
	}
	c := &volume.CHAP{User: user, MutualUser: muser}
	var err error
	if c.SecretFile, err = d.writeSecret(prefix+".password", pass); err != nil {
		return nil, err
	}
	if muser != "" {
		if c.MutualSecretFile, err = d.writeSecret(prefix+".password_in", mpass); err != nil {
			return nil, err
		}
	}
	// checked as every use will: printable, 12 to 256 characters
	if _, err := volume.ReadSecret(c.SecretFile); err != nil {
		d.removeSecrets(prefix)
		return nil, invalid("secrets: %s: a CHAP secret must be 12 to 256 printable characters with no blanks", secretPassword)
	}
	if muser != "" {
		if _, err := volume.ReadSecret(c.MutualSecretFile); err != nil {
			d.removeSecrets(prefix)
			return nil, invalid("secrets: %s: a CHAP secret must be 12 to 256 printable characters with no blanks", secretMutualSecret)
		}
	}
	return c, nil
}

// writeSecret writes secret to the file name in the secret directory,
// 0600, whole.
func (d *Driver) writeSecret(name, secret string) (string, error) {
	dir := d.secretDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	_, werr := f.WriteString(secret)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, p)
	}
	if werr != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("secret file: %w", werr)
	}
	return p, nil
}

// removeSecrets removes the secret files under prefix.
func (d *Driver) removeSecrets(prefix string) {
	for _, k := range []string{".password", ".password_in"} {
		if err := os.Remove(filepath.Join(d.secretDir(), prefix+k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "csi: remove a secret file: %v\n", err)
		}
	}
}
