package xhe

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/internal/extool"
)

// TestSchematronInterop runs DIGG-XHE-Business-Rules.xslt (as DIGG ships it) with Saxon-HE
// on DIGG's XHEs, on an XHE this package builds and on every negative mutation of
// TestRules, and checks that DIGG's failed-asserts are the ones expected (equal to ours
// except R11, where DIGG's rule re-tests FromParty).
func TestSchematronInterop(t *testing.T) {
	files := map[string][]byte{}
	want := map[string][]string{}
	for _, f := range diggValid {
		files[f] = mustRead(t, f)
		want[f] = nil
	}
	built, err := sample().Document().WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	files["built.xml"], want["built.xml"] = built, nil
	base := string(mustRead(t, "XHE-tm-base.xml"))
	for i, m := range mutations() {
		name := "mutation" + string(rune('a'+i)) + ".xml"
		files[name] = []byte(strings.Replace(base, m.old, m.new, 1))
		want[name] = m.want
		if m.digg != nil {
			want[name] = m.digg
		}
	}
	got := extool.SchematronFailedAsserts(t, "testdata/DIGG-XHE-Business-Rules.xslt", files)
	for name, w := range want {
		if strings.Join(got[name], ",") != strings.Join(w, ",") {
			t.Errorf("%s: DIGG schematron failed-asserts %v, want %v", name, got[name], w)
		}
	}
}

// xheXSDValid reports whether xmllint (libxml2) finds b valid under the OASIS XHE 1.0
// schema DIGG ships (testdata/xsd/XHE-1.0.xsd), with its output.
func xheXSDValid(t *testing.T, b []byte) (bool, string) {
	t.Helper()
	xmllint := extool.Need(t, "xmllint")
	p := filepath.Join(t.TempDir(), "x.xml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	xsd, _ := filepath.Abs("testdata/xsd/XHE-1.0.xsd")
	out, err := exec.Command(xmllint, "--noout", "--schema", xsd, p).CombinedOutput()
	return err == nil, string(out)
}

// TestXSDInterop: DIGG's XHEs and the XHE this package builds are valid under the OASIS
// XHE 1.0 schema (xmllint), elements out of order or missing are not, and the native
// structure check ("XSD" violations) agrees with xmllint on each.
func TestXSDInterop(t *testing.T) {
	native := func(b []byte) bool {
		_, _, err := ParseBytes(b)
		var rej *kvittens.Rejection
		if errors.As(err, &rej) {
			for _, v := range rej.Violations {
				if v.Rule == "XSD" {
					return false
				}
			}
		}
		return true
	}
	base := string(mustRead(t, "XHE-tm-base.xml"))
	files := map[string][]byte{
		"no InstanceEncryptionIndicator": []byte(strings.Replace(base, "<InstanceEncryptionIndicator>false</InstanceEncryptionIndicator>", "", 1)),
		"two Headers":                    []byte(strings.Replace(base, "</xha:Header>", "</xha:Header><xha:Header><ID>1</ID><CreationDateTime>2022-01-30T17:52:58.1Z</CreationDateTime><xha:ToParty><xha:PartyIdentification><ID>x</ID></xha:PartyIdentification></xha:ToParty></xha:Header>", 1)),
		"ToParty before FromParty":       []byte(strings.Replace(strings.Replace(base, "<xha:FromParty>", "<xha:Tmp>", 1), "</xha:ToParty>", "</xha:ToParty><xha:FromParty><xha:PartyIdentification><ID schemeID=\"iso6523-actorid-upis\">0203:a</ID></xha:PartyIdentification></xha:FromParty>", 1)),
	}
	files["ToParty before FromParty"] = []byte(strings.Replace(string(files["ToParty before FromParty"]), "<xha:Tmp>\n      <xha:PartyIdentification>\n        <ID schemeID=\"iso6523-actorid-upis\">0203:myndighetA.org</ID>\n      </xha:PartyIdentification>\n    </xha:FromParty>", "", 1))
	for name, b := range files {
		if string(b) == base || native(b) {
			t.Fatalf("%s: mutation did not apply or was not caught natively", name)
		}
	}
	for _, f := range []string{"XHE-tm-base.xml", "XHE-NonXML-tm-base.xml", "xhe_unencrypted.embedded.xml", "as4_xhe_encrypted.embedded.xml"} {
		files[f] = mustRead(t, f)
		if ok, out := xheXSDValid(t, mustRead(t, f)); !ok {
			t.Errorf("%s: %s", f, out)
		}
	}
	for name, b := range files {
		theirs, out := xheXSDValid(t, b)
		if ours := native(b); ours != theirs {
			t.Errorf("%s: xmllint valid=%v, native structure valid=%v\n%s", name, theirs, ours, out)
		}
	}
	built, _ := sample().Document().WriteToBytes()
	if ok, out := xheXSDValid(t, built); !ok {
		t.Errorf("built: %s", out)
	}
	bad := strings.Replace(string(built), "<xhb:XHEVersionID>1.0</xhb:XHEVersionID><xhb:CustomizationID>urn:fdc:digg.se:edelivery:xhe:1</xhb:CustomizationID>",
		"<xhb:CustomizationID>urn:fdc:digg.se:edelivery:xhe:1</xhb:CustomizationID><xhb:XHEVersionID>1.0</xhb:XHEVersionID>", 1)
	if bad == string(built) {
		t.Fatal("mutation did not apply")
	}
	if ok, _ := xheXSDValid(t, []byte(bad)); ok || native([]byte(bad)) {
		t.Error("XHEVersionID after CustomizationID accepted")
	}
}
