package flock

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestExclusiveAndShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	ex, err := Acquire(path, unix.LOCK_EX)
	require.NoError(t, err)
	_, err = Acquire(path, unix.LOCK_SH|unix.LOCK_NB)
	require.ErrorIs(t, err, ErrLocked, "an exclusive lock excludes a second open of the file")
	ex.Unlock()
	ex.Unlock() // twice is harmless

	sh1, err := Acquire(path, unix.LOCK_SH|unix.LOCK_NB)
	require.NoError(t, err)
	sh2, err := Acquire(path, unix.LOCK_SH|unix.LOCK_NB)
	require.NoError(t, err, "shared locks share")
	_, err = Acquire(path, unix.LOCK_EX|unix.LOCK_NB)
	require.ErrorIs(t, err, ErrLocked)
	sh1.Unlock()
	sh2.Unlock()
	l, err := Acquire(path, unix.LOCK_EX|unix.LOCK_NB)
	require.NoError(t, err)
	l.Unlock()
	var none *Lock
	none.Unlock()
}

func TestAcquireReportsThePath(t *testing.T) {
	_, err := Acquire(filepath.Join(t.TempDir(), "missing", "l"), unix.LOCK_EX)
	require.ErrorContains(t, err, "missing/l")
}

func TestAcquireExistingCreatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	_, err := AcquireExisting(path, unix.LOCK_SH|unix.LOCK_NB)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoFileExists(t, path)
	l, err := Acquire(path, unix.LOCK_EX)
	require.NoError(t, err)
	_, err = AcquireExisting(path, unix.LOCK_SH|unix.LOCK_NB)
	require.ErrorIs(t, err, ErrLocked)
	l.Unlock()
}
