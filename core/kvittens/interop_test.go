package kvittens

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/internal/extool"
)

// saxonFailedAsserts runs DIGG's compiled schematron (an XSLT producing SVRL) with Saxon-HE
// over every file in files (name → content), in one JVM, and returns the sorted ids of
// the failed-asserts per file.
func saxonFailedAsserts(t *testing.T, xslt string, files map[string][]byte) map[string][]string {
	t.Helper()
	java := extool.Need(t, "java")
	jar := extool.NeedJar(t, "Saxon-HE.jar")
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
	re := regexp.MustCompile(`(?s)<svrl:failed-assert[^>]*?\sid="([^"]*)"`)
	res := map[string][]string{}
	for name := range files {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("saxon output for %s: %v", name, err)
		}
		ids := map[string]bool{}
		for _, m := range re.FindAllSubmatch(b, -1) {
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

// TestSchematronInterop runs DIGG-AppRes-Business-Rules.xslt with Saxon-HE on DIGG's
// receipts, on the receipts this package builds and on each negative of TestRules, and
// compares DIGG's failed-asserts with ours.
func TestSchematronInterop(t *testing.T) {
	files, want := map[string][]byte{}, map[string]string{}
	for f := range diggExamples {
		files[f], want[f] = mustRead(t, f), ""
	}
	now := time.Date(2026, 11, 27, 3, 4, 5, 0, time.UTC)
	for i, rej := range []*Rejection{nil, {Reason: SIG, Detail: DetailSecurity},
		{Reason: SV, Detail: DetailStructure, Violations: []Violation{{Rule: "XSD", Location: "/a", Reason: SV, Detail: DetailStructure}, {Rule: "R", Reason: BV, Detail: DetailInvariant}}}} {
		b, err := New("KVT-1", now, "id-1", "0203:a.se", "0203:b.se", rej).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		name := "built" + string(rune('a'+i)) + ".xml"
		files[name], want[name] = b, ""
	}
	for i, m := range mutations() {
		name := "mutation" + string(rune('a'+i)) + ".xml"
		files[name], want[name] = []byte(strings.Replace(string(mustRead(t, m.file)), m.old, m.new, 1)), m.want
	}
	got := saxonFailedAsserts(t, "testdata/DIGG-AppRes-Business-Rules.xslt", files)
	for name, w := range want {
		if g := strings.Join(got[name], ","); g != w {
			t.Errorf("%s: DIGG schematron failed-asserts %q, want %q", name, g, w)
		}
	}
}
