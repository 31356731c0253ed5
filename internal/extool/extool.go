// Package extool finds the independent tools that Brevduva's interop tests run
// against (xmlsec1, Java with Apache Santuario, Saxon-HE): software we did not
// write, used to check that what we emit and what we accept agree with it.
//
// A test that needs a tool calls Need. Where the tool is missing the test is
// skipped with the reason, unless BREVDUVA_REQUIRE_INTEROP=1 (set by
// `make interop` and by CI), in which case it fails: CI never passes by skipping.
package extool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Required reports whether missing tools must fail the test run.
func Required() bool { return os.Getenv("BREVDUVA_REQUIRE_INTEROP") == "1" }

// Need returns the path of the command name, or skips (or fails, see Required).
func Need(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" not on PATH (Debian package: "+debianPackage[name]+")")
	}
	return p
}

// NeedJar returns the path of a jar under /usr/share/java, or skips (or fails).
func NeedJar(t testing.TB, jar string) string {
	t.Helper()
	p := filepath.Join("/usr/share/java", jar)
	if _, err := os.Stat(p); err != nil {
		missing(t, p+" missing (Debian package: "+debianPackage[jar]+")")
	}
	return p
}

func missing(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatalf("interop tool required (BREVDUVA_REQUIRE_INTEROP=1): %s", why)
	}
	t.Skipf("interop tool unavailable: %s; run `make interop` after `.ci/run`'s installs", why)
}

var debianPackage = map[string]string{
	"xmlsec1":             "xmlsec1",
	"xmllint":             "libxml2-utils",
	"java":                "openjdk-17-jdk-headless",
	"javac":               "openjdk-17-jdk-headless",
	"xmlsec.jar":          "libxml-security-java",
	"Saxon-HE.jar":        "libsaxonhe-java",
	"commons-logging.jar": "libcommons-logging-java",
	"slf4j-api.jar":       "libslf4j-java",
	"slf4j-nop.jar":       "libslf4j-java",
}
