package spec_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cgrun/cgrun/cgroup"
	"github.com/cgrun/cgrun/spec"
)

// The wmark annotation key is the one the cgroup package reads.
func TestAnnotationMatchesCgroup(t *testing.T) {
	require.Equal(t, cgroup.AnnotationWmarkRatio, spec.AnnotationWmarkRatio)
	require.Equal(t, cgroup.AnnotationPrefix, spec.KnobAnnotationPrefix)
	var files []string
	for _, k := range spec.Knobs {
		files = append(files, k.File)
	}
	require.Equal(t, cgroup.AlibabaKnobs, files, "the flags cover every knob the cgroup layer knows")
}
