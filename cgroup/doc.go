// Package cgroup owns what no OCI runtime-spec field carries and reads the
// kernel's view of a container's cgroup back.
//
// libcontainer writes every OCI-expressible limit. This package writes only
// the extension knobs (Alibaba-kernel files such as memory.wmark_ratio), which
// travel in the spec as annotations named AnnotationPrefix + the cgroup file
// name, for example:
//
//	"io.cgrun.cgroup.memory.wmark_ratio": "60"
//
// It never imports spec or cmd.
package cgroup

// AnnotationPrefix starts every spec annotation that carries an extension
// knob. The rest of the key is the cgroup file name (memory.wmark_ratio);
// the value is written to that file as is.
const AnnotationPrefix = "io.cgrun.cgroup."

// AnnotationWmarkRatio carries memory.wmark_ratio (Alibaba kernels).
const AnnotationWmarkRatio = AnnotationPrefix + "memory.wmark_ratio"
