package core_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreStaysPure enforces the boundary in STYLE.md rule 1: no package under
// core/ may depend, even transitively, on the AWS SDK, on Brevduva's adapters,
// Lambda functions or browser glue, or on os/exec.
func TestCoreStaysPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !contains(deps, "github.com/brevduva/brevduva/core") {
		t.Fatalf("go list -deps did not list core itself; the check would prove nothing: %v", deps)
	}
	if bad := forbiddenDeps(deps); len(bad) > 0 {
		t.Errorf("core depends on forbidden packages: %v", bad)
	}
}

// TestForbiddenDepsCatches proves the filter can fail.
func TestForbiddenDepsCatches(t *testing.T) {
	in := []string{
		"fmt",
		"github.com/aws/aws-sdk-go-v2/service/s3",
		"github.com/brevduva/brevduva/infra/local",
		"github.com/brevduva/brevduva/functions/as4-receive",
		"github.com/brevduva/brevduva/wasm",
		"os/exec",
		"github.com/brevduva/brevduva/core/ebms",
		"github.com/brevduva/brevduva/core/infrastructure", // a name that only starts like infra
	}
	got := forbiddenDeps(in)
	if len(got) != 5 {
		t.Fatalf("forbiddenDeps(%v) = %v, want 5 entries", in, got)
	}
}

func forbiddenDeps(deps []string) []string {
	const mod = "github.com/brevduva/brevduva/"
	var bad []string
	for _, d := range deps {
		switch {
		case strings.HasPrefix(d, "github.com/aws/"),
			d == "os/exec",
			under(d, mod+"infra"), under(d, mod+"functions"), under(d, mod+"wasm"):
			bad = append(bad, d)
		}
	}
	return bad
}

func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
