package blkio

import "errors"

// ErrNotBlockDevice is returned for a path that exists but is no block device.
var ErrNotBlockDevice = errors.New("not a block device")

// ErrNoScheduler is returned when the device's queue has no scheduler file.
var ErrNoScheduler = errors.New("no I/O scheduler file for the device")
