package kvittens

import (
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/internal/extool"
)

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
	got := extool.SchematronFailedAsserts(t, "testdata/DIGG-AppRes-Business-Rules.xslt", files)
	for name, w := range want {
		if g := strings.Join(got[name], ","); g != w {
			t.Errorf("%s: DIGG schematron failed-asserts %q, want %q", name, g, w)
		}
	}
}
