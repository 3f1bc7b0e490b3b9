package main

import (
	"errors"

	"github.com/cgrun/cgrun/container"
)

// startErr gives a failed start its Docker exit code (125, 126, 127).
func startErr(err error) error {
	var se *container.StartError
	if errors.As(err, &se) {
		return codedError{code: se.Code, err: se.Err}
	}
	return err
}
