package main

import "errors"

// errNotYet marks commands being written in this change; removed before it lands.
var errNotYet = errors.New("not implemented yet")
