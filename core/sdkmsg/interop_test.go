package sdkmsg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/internal/extool"
)

// TestXSDInterop validates DIGG's files and every mutation of TestRules with libxml2's
// XSD validator (xmllint --schema, DIGG's XSD) and checks that it finds a schema error
// exactly where the native validator reports an "XSD" violation.
func TestXSDInterop(t *testing.T) {
	xmllint := extool.Need(t, "xmllint")
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, f := range []string{"min.xml", "messageWithAttachments3.xml", "TF2.4.1.xml", "TF2.4.2.xml"} {
		files[f] = read(t, f)
	}
	min := string(read(t, "min.xml"))
	for i, tc := range ruleCases() {
		files["m"+string(rune('a'+i))+".xml"] = []byte(strings.Replace(min, tc.old, tc.new, 1))
	}
	b, err := sample().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	files["built.xml"] = b
	xsd, _ := filepath.Abs("testdata/infrastructure_messaging_MessageWithAttachments_3.0.xsd")
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(xmllint, "--noout", "--schema", xsd, p).CombinedOutput()
		theirs := err == nil
		ours := !rules(Validate(b))["XSD"]
		if theirs != ours {
			t.Errorf("%s: xmllint schema-valid=%v, native schema-valid=%v\n%s", name, theirs, ours, out)
		}
	}
}
