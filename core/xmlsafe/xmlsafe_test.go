package xmlsafe

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

func parse(t *testing.T, s string) (*etree.Document, error) {
	t.Helper()
	return ParseBytes([]byte(s), DefaultLimits)
}

func TestParseRefuses(t *testing.T) {
	cases := []struct {
		name, in string
		want     error
	}{
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>`, ErrDTD},
		{"xxe", `<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>`, ErrDTD},
		{"external dtd", `<!DOCTYPE foo SYSTEM "http://example.com/x.dtd"><foo/>`, ErrDTD},
		{"undeclared entity", `<a>&nbsp;</a>`, ErrEntity},
		{"undeclared entity in attribute", `<a b="&x;"/>`, ErrEntity},
		{"duplicate attribute", `<a b="1" b="2"/>`, ErrDuplicateAttr},
		{"duplicate attribute by uri", `<a xmlns:p="urn:x" xmlns:q="urn:x" p:b="1" q:b="2"/>`, ErrDuplicateAttr},
		{"duplicate xmlns", `<a xmlns:p="urn:x" xmlns:p="urn:y"/>`, ErrDuplicateAttr},
		{"unbound element prefix", `<p:a/>`, ErrNamespace},
		{"unbound attribute prefix", `<a p:b="1"/>`, ErrNamespace},
		{"prefix undeclaring", `<a xmlns:p="urn:x"><b xmlns:p=""/></a>`, ErrNamespace},
		{"xml prefix rebound", `<a xmlns:xml="urn:x"/>`, ErrNamespace},
		{"xmlns declared", `<a xmlns:xmlns="urn:x"/>`, ErrNamespace},
		{"latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, ErrSyntax},
		{"two roots", `<a/><b/>`, ErrSyntax},
		{"no root", `<!-- c -->`, ErrSyntax},
		{"text outside root", `<a/>junk`, ErrSyntax},
		{"mismatched end", `<a></b>`, ErrSyntax},
		{"unclosed", `<a><b></b>`, ErrSyntax},
		{"late declaration", `<a/><?xml version="1.0"?>`, ErrSyntax},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := parse(t, c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("ParseBytes(%q) = %v, %v; want %v", c.in, doc, err, c.want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	small := Limits{MaxBytes: 1000, MaxDepth: 3, MaxAttrs: 2, MaxAttrLen: 5, MaxElements: 4}
	ok := []string{
		`<a><b><c/></b></a>`,
		`<a x="12345" y="1"/>`,
		`<a><b/><b/><b/></a>`,
	}
	for _, s := range ok {
		if _, err := ParseBytes([]byte(s), small); err != nil {
			t.Errorf("ParseBytes(%q) within limits: %v", s, err)
		}
	}
	bad := []string{
		`<a><b><c><d/></c></b></a>`,                // depth 4
		`<a x="1" y="2" z="3"/>`,                   // 3 attributes
		`<a x="123456"/>`,                          // value of 6 bytes
		`<a><b/><b/><b/><b/></a>`,                  // 5 elements
		`<a>` + strings.Repeat(" ", 1000) + `</a>`, // over MaxBytes
	}
	for _, s := range bad {
		if _, err := ParseBytes([]byte(s), small); !errors.Is(err, ErrLimit) {
			t.Errorf("ParseBytes(%q) = %v, want ErrLimit", s, err)
		}
	}
	if _, err := Parse(strings.NewReader(`<a>`+strings.Repeat("x", 2000)+`</a>`), small); !errors.Is(err, ErrLimit) {
		t.Errorf("Parse over MaxBytes = %v, want ErrLimit", err)
	}
}

func TestParseAccepts(t *testing.T) {
	doc, err := parse(t, "<a xmlns=\"urn:d\" xmlns:p=\"urn:p\" p:x=\"&lt;&amp;&#x41;\">&quot;&apos;&gt;<![CDATA[<c>]]><p:b/></a>")
	if err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	if v, _ := Attr(root, "urn:p", "x"); v != "<&A" {
		t.Errorf("p:x = %q", v)
	}
	if got := root.Text(); got != `"'><c>` {
		t.Errorf("text = %q", got)
	}
	if !Is(root.ChildElements()[0], "urn:p", "b") || !Is(root, "urn:d", "a") {
		t.Errorf("namespace resolution failed")
	}
}

func TestLineEndingsAndAttributeNormalisation(t *testing.T) {
	in := "<a x=\"1\r\n2\t3\n4&#10;5&#9;6&#13;7\">l1\r\nl2\rl3<!-- c\r\n --></a>"
	doc, err := parse(t, in)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Attr(doc.Root(), "", "x")
	if want := "1 2 3 4\n5\t6\r7"; v != want {
		t.Errorf("attribute = %q, want %q", v, want)
	}
	if got := doc.Root().Text(); got != "l1\nl2\nl3" {
		t.Errorf("text = %q", got)
	}
	// The caller's bytes are not touched.
	b := []byte(in)
	if _, err := ParseBytes(b, DefaultLimits); err != nil || string(b) != in {
		t.Errorf("input modified or error %v", err)
	}
}

func TestByteOrderMark(t *testing.T) {
	doc, err := parse(t, "\xef\xbb\xbf<?xml version=\"1.0\"?><a/>")
	if err != nil || doc.Root().Tag != "a" {
		t.Errorf("UTF-8 BOM: %v", err)
	}
	if _, err := parse(t, "<a/>\xef\xbb\xbf"); err == nil {
		t.Errorf("BOM after the document element accepted")
	}
}

func TestCommentBeforeDeclaration(t *testing.T) {
	b, err := os.ReadFile("testdata/p-mode.xml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseBytes(b, DefaultLimits)
	if err != nil {
		t.Fatalf("p-mode.xml: %v", err)
	}
	if _, ok := doc.Child[0].(*etree.Comment); !ok {
		t.Errorf("first token %T, want the comment", doc.Child[0])
	}
	if !Is(doc.Root(), "http://domibus.eu/configuration", "configuration") {
		t.Errorf("root = %s", doc.Root().FullTag())
	}
}

func TestAttrResolvesByURI(t *testing.T) {
	const wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	doc, err := parse(t, `<r xmlns:evil="urn:evil" xmlns:u="`+wsu+`"><a evil:Id="x"/><b u:Id="y"/><c Id="z"/></r>`)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := doc.Root().ChildElements()[0], doc.Root().ChildElements()[1], doc.Root().ChildElements()[2]
	if v, ok := Attr(a, "", "Id"); ok {
		t.Errorf("unqualified Id matched evil:Id = %q", v)
	}
	if v, ok := Attr(b, wsu, "Id"); !ok || v != "y" {
		t.Errorf("wsu:Id = %q, %v", v, ok)
	}
	if _, ok := Attr(c, wsu, "Id"); ok {
		t.Errorf("wsu:Id matched unqualified Id")
	}
	ids, err := IndexIDs(doc.Root(), AttrName{wsu, "Id"}, AttrName{"", "Id"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids["y"] != b || ids["z"] != c {
		t.Errorf("ids = %v", ids)
	}
}

func TestIndexIDsDuplicate(t *testing.T) {
	for _, s := range []string{
		`<r><a Id="x"/><b Id="x"/></r>`,
		`<r xmlns:u="urn:u"><a Id="x"/><b u:Id="x"/></r>`,
		`<r Id="x"><a Id="x"/></r>`,
	} {
		doc, err := parse(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := IndexIDs(doc.Root(), AttrName{"urn:u", "Id"}, AttrName{"", "Id"}); !errors.Is(err, ErrDuplicateID) {
			t.Errorf("IndexIDs(%s) = %v, want ErrDuplicateID", s, err)
		}
	}
	doc, _ := parse(t, `<r xmlns:u="urn:u"><a Id="x" u:Id="x"/></r>`)
	if _, err := IndexIDs(doc.Root(), AttrName{"urn:u", "Id"}, AttrName{"", "Id"}); err != nil {
		t.Errorf("same element, same id twice: %v", err)
	}
}

func TestChild(t *testing.T) {
	doc, _ := parse(t, `<r xmlns="urn:a" xmlns:b="urn:b"><x/><b:x/><b:x/><y xmlns=""/></r>`)
	r := doc.Root()
	if x, err := Child(r, "urn:a", "x"); err != nil || x != r.ChildElements()[0] {
		t.Errorf("Child x = %v, %v", x, err)
	}
	if _, err := Child(r, "urn:b", "x"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("two b:x: %v", err)
	}
	if _, err := Child(r, "urn:a", "y"); !errors.Is(err, ErrNotFound) {
		t.Errorf("y is in no namespace: %v", err)
	}
	if _, err := Child(r, "", "y"); err != nil {
		t.Errorf("y: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<a xmlns:p="urn:p" p:b="1"><p:c Id="x">t&amp;</p:c><!--c--><?pi d?></a>`))
	f.Add([]byte("<!-- c -->\r\n<?xml version=\"1.0\"?><a b=\"\t\"/>"))
	f.Add([]byte(`<!DOCTYPE a><a/>`))
	if b, err := os.ReadFile("testdata/p-mode.xml"); err == nil {
		f.Add(b)
	}
	lim := Limits{MaxBytes: 1 << 16, MaxDepth: 16, MaxAttrs: 8, MaxAttrLen: 256, MaxElements: 256}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		doc, err := ParseBytes(b, lim)
		if !bytes.Equal(in, b) {
			t.Fatal("input modified")
		}
		if err != nil {
			if doc != nil {
				t.Fatal("document with error")
			}
			return
		}
		if doc.Root() == nil {
			t.Fatal("no root without error")
		}
		// Every accepted element resolves, and no element has two attributes
		// with one expanded name.
		var walk func(el *etree.Element, depth int)
		walk = func(el *etree.Element, depth int) {
			if depth > lim.MaxDepth {
				t.Fatalf("depth %d accepted", depth)
			}
			if el.Space != "" {
				if _, ok := LookupPrefix(el, el.Space); !ok {
					t.Fatalf("unbound prefix %q accepted", el.Space)
				}
			}
			seen := map[AttrName]bool{}
			for _, a := range el.Attr {
				if IsNamespaceDecl(a) {
					continue
				}
				n := AttrName{AttrNamespaceURI(el, a), a.Key}
				if seen[n] {
					t.Fatalf("duplicate attribute %v accepted", n)
				}
				seen[n] = true
			}
			for _, c := range el.ChildElements() {
				walk(c, depth+1)
			}
		}
		walk(doc.Root(), 1)
	})
}

func TestSerializeRoundTrip(t *testing.T) {
	in := "<a x=\"1&#9;2&#10;3&#13;4&quot;&lt;&amp;'>\">t&#13;\n&lt;&amp;&gt;\"'</a>"
	doc, err := parse(t, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Serialize(doc)
	if err != nil {
		t.Fatal(err)
	}
	doc2, err := ParseBytes(out, DefaultLimits)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	a1, _ := Attr(doc.Root(), "", "x")
	a2, _ := Attr(doc2.Root(), "", "x")
	if a1 != a2 || doc.Root().Text() != doc2.Root().Text() {
		t.Errorf("round trip changed data: %q %q / %q %q", a1, a2, doc.Root().Text(), doc2.Root().Text())
	}
	if doc.WriteSettings.CanonicalAttrVal {
		t.Errorf("caller's settings modified")
	}
}
