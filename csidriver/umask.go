package csidriver

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

func umask(m int) int { return unix.Umask(m) }

func uintptrOf(p *uint64) uintptr { return uintptr(unsafe.Pointer(p)) }
