package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestImageOCIDir is the OCI image layout of the test image (make image
// writes it with integration/testimage/mkoci); CGRUN_TEST_OCI overrides it.
func TestImageOCIDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CGRUN_TEST_OCI")
	if dir == "" {
		_, self, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(self), "..", "..", "build", "testimage", "oci")
	}
	_, err := os.Stat(filepath.Join(dir, "index.json"))
	Require(t, err == nil, "the test image's OCI layout is missing at "+dir, "make image")
	return filepath.Clean(dir)
}

// TestImageOCI is the test image as `cgrun run` takes it: oci:DIR:latest.
func TestImageOCI(t testing.TB) string {
	t.Helper()
	return "oci:" + TestImageOCIDir(t) + ":latest"
}
