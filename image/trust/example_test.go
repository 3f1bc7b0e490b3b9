package trust_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cgrun/cgrun/image"
	"github.com/cgrun/cgrun/image/trust"
)

// A policy that accepts images from one registry namespace unsigned and
// rejects the rest: the verdict comes before anything is read or copied.
func ExampleOptions_Verify() {
	dir, _ := os.MkdirTemp("", "policy")
	defer os.RemoveAll(dir)
	policy := filepath.Join(dir, "policy.json")
	_ = os.WriteFile(policy, []byte(`{
		"default": [{"type": "reject"}],
		"transports": {"docker": {"registry.example/team": [{"type": "insecureAcceptAnything"}]}}
	}`), 0o644)
	o := trust.Options{PolicyPath: policy}
	for _, s := range []string{"docker://registry.example/team/app:1", "docker://registry.example/other/app:1"} {
		ref, _ := image.ParseReference(s)
		v, err := o.Verify(context.Background(), ref)
		if err != nil {
			fmt.Println(s, "refused:", errors.Is(err, trust.ErrRefused))
			continue
		}
		fmt.Println(s, "accepted in scope", v.Scope, v.Requirements)
	}
	// Output:
	// docker://registry.example/team/app:1 accepted in scope docker:registry.example/team [insecureAcceptAnything]
	// docker://registry.example/other/app:1 refused: true
}
