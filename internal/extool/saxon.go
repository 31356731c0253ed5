package extool

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

var failedAssert = regexp.MustCompile(`(?s)<svrl:failed-assert[^>]*?\sid="([^"]*)"`)

// SchematronFailedAsserts runs a compiled schematron (an XSLT 2 stylesheet producing
// SVRL, as DIGG ships them) with Saxon-HE over every file in files (name → content), in
// one JVM, and returns the sorted, distinct ids of the failed-asserts per file.
func SchematronFailedAsserts(t testing.TB, xslt string, files map[string][]byte) map[string][]string {
	t.Helper()
	java := Need(t, "java")
	jar := NeedJar(t, "Saxon-HE.jar")
	in, out := t.TempDir(), t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	xsl, err := filepath.Abs(xslt)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(java, "-cp", jar, "net.sf.saxon.Transform", "-s:"+in, "-o:"+out, "-xsl:"+xsl)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("saxon: %v\n%s", err, b)
	}
	res := map[string][]string{}
	for name := range files {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("saxon output for %s: %v", name, err)
		}
		ids := map[string]bool{}
		for _, m := range failedAssert.FindAllSubmatch(b, -1) {
			ids[string(m[1])] = true
		}
		var l []string
		for id := range ids {
			l = append(l, id)
		}
		sort.Strings(l)
		res[name] = l
	}
	return res
}
