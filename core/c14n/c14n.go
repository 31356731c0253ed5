package c14n

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// ErrUnsupported is returned for a Method this package does not implement
// (Canonical XML 1.1) or a document it cannot canonicalise faithfully.
var ErrUnsupported = errors.New("c14n: unsupported")

// ErrRelativeNamespace is returned for a namespace declaration whose URI is
// relative: Canonical XML 1.0 §2.1 says implementations MUST report an
// operation failure on documents containing relative namespace URIs.
var ErrRelativeNamespace = errors.New("c14n: relative namespace URI")

// DefaultPrefix stands for the default namespace in an InclusiveNamespaces
// PrefixList (Exclusive XML Canonicalization §3).
const DefaultPrefix = "#default"

// Canonicalize serialises el in the context of its document (inherited
// namespaces and, for inclusive c14n, xml:* attributes) without modifying it.
// exclude, if non-nil, is a descendant left out with its subtree (the
// enveloped-signature transform, XMLDSig §6.6.4). prefixes is the
// InclusiveNamespaces PrefixList (exclusive c14n only; "#default" for the
// default namespace).
//
// The node-set is el, its attributes, namespaces and descendants (minus
// exclude), as for a same-document reference "#id"; the comment-keeping
// methods output the comments inside el. If el is a document node
// (&doc.Element of an etree.Document), the result is that of
// CanonicalizeDocument.
func Canonicalize(m Method, el, exclude *etree.Element, prefixes []string) ([]byte, error) {
	c, err := newCanon(m, exclude, prefixes)
	if err != nil {
		return nil, err
	}
	if el == nil {
		return nil, fmt.Errorf("c14n: canonicalize: nil element")
	}
	if IsDocumentNode(el) {
		return c.document(el)
	}
	if el == exclude {
		return []byte{}, nil
	}
	if err := c.element(el, ancestorScope(el), nil, inheritedXMLAttrs(el, c.exclusive)); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

// IsDocumentNode reports whether el is the document node of an
// etree.Document (the Element embedded in it: no tag, no parent).
func IsDocumentNode(el *etree.Element) bool {
	return el != nil && el.Tag == "" && el.Space == "" && el.Parent() == nil
}

// CanonicalizeDocument serialises the whole document doc (the node-set of a
// URI="" reference, XMLDSig §4.4.3.3): the document element and the comments
// and processing instructions around it, each separated from the document
// element by a line feed (Canonical XML §2.1). exclude and prefixes are as for
// Canonicalize. The XML declaration and whitespace outside the document
// element are dropped.
func CanonicalizeDocument(m Method, doc *etree.Document, exclude *etree.Element, prefixes []string) ([]byte, error) {
	return Canonicalize(m, &doc.Element, exclude, prefixes)
}

func (c *canon) document(top *etree.Element) ([]byte, error) {
	var root *etree.Element
	for _, tok := range top.Child {
		if e, ok := tok.(*etree.Element); ok {
			if root != nil {
				return nil, fmt.Errorf("c14n: canonicalize document: %w: two document elements", ErrUnsupported)
			}
			root = e
		}
	}
	if root == nil {
		return nil, fmt.Errorf("c14n: canonicalize document: no document element")
	}
	after := false
	for _, tok := range top.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if t != c.exclude {
				if err := c.element(t, map[string]string{}, nil, nil); err != nil {
					return nil, err
				}
			}
			after = true
		case *etree.Comment:
			if c.comments {
				c.sep(after, func() { c.comment(t) })
			}
		case *etree.ProcInst:
			if t.Target == "xml" {
				continue // the XML declaration is not a node (XPath data model §5)
			}
			c.sep(after, func() { c.procInst(t) })
		case *etree.CharData:
			// Canonical XML §2.1: whitespace outside the document element is dropped.
		case *etree.Directive:
			return nil, fmt.Errorf("c14n: canonicalize document: %w: document type declaration", ErrUnsupported)
		}
	}
	return c.buf.Bytes(), nil
}

type canon struct {
	buf       bytes.Buffer
	exclusive bool
	comments  bool
	inclusive map[string]bool // exclusive c14n PrefixList; "" is the default namespace
	exclude   *etree.Element
}

func newCanon(m Method, exclude *etree.Element, prefixes []string) (*canon, error) {
	c := &canon{exclude: exclude}
	switch m {
	case C14N10:
	case C14N10Comments:
		c.comments = true
	case ExcC14N:
		c.exclusive = true
	case ExcC14NComments:
		c.exclusive, c.comments = true, true
	default:
		return nil, fmt.Errorf("c14n: method %q: %w", m, ErrUnsupported)
	}
	if c.exclusive {
		c.inclusive = make(map[string]bool, len(prefixes))
		for _, p := range prefixes {
			if p == DefaultPrefix {
				p = ""
			}
			c.inclusive[p] = true
		}
	}
	return c, nil
}

// sep writes a node outside the document element, with the line feed that
// separates it from the document element (Canonical XML §2.1).
func (c *canon) sep(afterRoot bool, write func()) {
	if afterRoot {
		c.buf.WriteByte('\n')
	}
	write()
	if !afterRoot {
		c.buf.WriteByte('\n')
	}
}

// ancestorScope returns the namespace declarations in scope at el's parent:
// prefix ("" for default) to URI, "" meaning the default namespace is unset.
func ancestorScope(el *etree.Element) map[string]string {
	scope := map[string]string{}
	var chain []*etree.Element
	for p := el.Parent(); p != nil; p = p.Parent() {
		chain = append(chain, p)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, a := range chain[i].Attr {
			if p, ok := declPrefix(a); ok {
				scope[p] = a.Value
			}
		}
	}
	return scope
}

// inheritedXMLAttrs returns the xml:* attributes of el's ancestors that el
// does not carry itself, nearest first wins: Canonical XML 1.0 §2.4 makes the
// apex of a document subset inherit them. Exclusive c14n does not (§3).
func inheritedXMLAttrs(el *etree.Element, exclusive bool) []etree.Attr {
	if exclusive {
		return nil
	}
	have := map[string]bool{}
	for _, a := range el.Attr {
		if a.Space == "xml" {
			have[a.Key] = true
		}
	}
	var out []etree.Attr
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if a.Space == "xml" && !have[a.Key] {
				have[a.Key] = true
				out = append(out, etree.Attr{Space: a.Space, Key: a.Key, Value: a.Value})
			}
		}
	}
	return out
}

func declPrefix(a etree.Attr) (string, bool) {
	switch {
	case a.Space == "" && a.Key == "xmlns":
		return "", true
	case a.Space == "xmlns":
		return a.Key, true
	}
	return "", false
}

type nsDecl struct{ prefix, uri string }

type attr struct {
	uri, local, qname, value string
}

// element writes el. parentScope holds the namespaces in scope at el's
// parent; rendered the namespace declarations in effect from output
// ancestors (nil at the apex).
func (c *canon) element(el *etree.Element, parentScope, rendered map[string]string, inherited []etree.Attr) error {
	scope, copied := parentScope, false
	var attrs []attr
	for _, a := range el.Attr {
		if p, ok := declPrefix(a); ok {
			if !absoluteURI(a.Value) {
				// Canonical XML 1.0 §2.1: MUST report failure.
				return fmt.Errorf("c14n: <%s>: %w: %q", el.FullTag(), ErrRelativeNamespace, a.Value)
			}
			if !copied {
				scope, copied = cloneMap(parentScope), true
			}
			scope[p] = a.Value
		}
	}
	resolve := func(prefix string) (string, error) {
		switch prefix {
		case "xml":
			return xmlsafe.XMLNamespace, nil
		case "":
			return scope[""], nil
		}
		uri, ok := scope[prefix]
		if !ok || prefix == "xmlns" {
			return "", fmt.Errorf("c14n: <%s>: prefix %q not declared", el.FullTag(), prefix)
		}
		return uri, nil
	}
	if _, err := resolve(el.Space); err != nil {
		return err
	}
	for _, a := range append(slices.Clip(el.Attr), inherited...) {
		if _, ok := declPrefix(a); ok {
			continue
		}
		at := attr{local: a.Key, qname: a.Key, value: a.Value}
		if a.Space != "" {
			uri, err := resolve(a.Space)
			if err != nil {
				return err
			}
			at.uri, at.qname = uri, a.Space+":"+a.Key
		}
		attrs = append(attrs, at)
	}

	// Which namespace nodes to consider: all in scope (Canonical XML §2.3),
	// or those visibly utilised plus the PrefixList (Exclusive c14n §3).
	var candidates []string
	if c.exclusive {
		candidates = append(candidates, el.Space)
		for _, a := range el.Attr {
			if _, ok := declPrefix(a); !ok && a.Space != "" {
				candidates = append(candidates, a.Space)
			}
		}
		for p := range c.inclusive {
			if _, ok := scope[p]; ok || p == "" {
				candidates = append(candidates, p)
			}
		}
	} else {
		for p := range scope {
			candidates = append(candidates, p)
		}
	}
	var decls []nsDecl
	seen := map[string]bool{}
	for _, p := range candidates {
		if seen[p] || p == "xml" {
			continue
		}
		seen[p] = true
		uri := scope[p]
		prev, had := rendered[p]
		if p == "" && uri == "" {
			// Canonical XML §2.3 / Exclusive §3: xmlns="" only to undo a
			// non-empty default namespace of the nearest output ancestor.
			if had && prev != "" {
				decls = append(decls, nsDecl{"", ""})
			}
			continue
		}
		if !had || prev != uri { // superfluous declarations are not output
			if !absoluteURI(uri) { // an inherited declaration, Canonical XML 1.0 §2.1
				return fmt.Errorf("c14n: <%s>: %w: %q", el.FullTag(), ErrRelativeNamespace, uri)
			}
			decls = append(decls, nsDecl{p, uri})
		}
	}
	// Canonical XML §2.2 document order: namespace nodes by prefix (the
	// default first), then attributes by namespace URI, then local name.
	slices.SortFunc(decls, func(a, b nsDecl) int { return strings.Compare(a.prefix, b.prefix) })
	slices.SortFunc(attrs, func(a, b attr) int {
		if d := strings.Compare(a.uri, b.uri); d != 0 {
			return d
		}
		return strings.Compare(a.local, b.local)
	})
	if len(decls) > 0 {
		r := cloneMap(rendered)
		for _, d := range decls {
			r[d.prefix] = d.uri
		}
		rendered = r
	}

	c.buf.WriteByte('<')
	c.buf.WriteString(el.FullTag())
	for _, d := range decls {
		if d.prefix == "" {
			c.buf.WriteString(` xmlns="`)
		} else {
			c.buf.WriteString(` xmlns:`)
			c.buf.WriteString(d.prefix)
			c.buf.WriteString(`="`)
		}
		escapeAttr(&c.buf, d.uri)
		c.buf.WriteByte('"')
	}
	for _, a := range attrs {
		c.buf.WriteByte(' ')
		c.buf.WriteString(a.qname)
		c.buf.WriteString(`="`)
		escapeAttr(&c.buf, a.value)
		c.buf.WriteByte('"')
	}
	c.buf.WriteByte('>')
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if t == c.exclude {
				continue
			}
			if err := c.element(t, scope, rendered, nil); err != nil {
				return err
			}
		case *etree.CharData:
			escapeText(&c.buf, t.Data)
		case *etree.Comment:
			if c.comments {
				c.comment(t)
			}
		case *etree.ProcInst:
			c.procInst(t)
		case *etree.Directive:
			return fmt.Errorf("c14n: <%s>: %w: directive inside an element", el.FullTag(), ErrUnsupported)
		}
	}
	c.buf.WriteString("</")
	c.buf.WriteString(el.FullTag())
	c.buf.WriteByte('>')
	return nil
}

func (c *canon) comment(t *etree.Comment) {
	c.buf.WriteString("<!--")
	c.buf.WriteString(t.Data)
	c.buf.WriteString("-->")
}

func (c *canon) procInst(t *etree.ProcInst) {
	c.buf.WriteString("<?")
	c.buf.WriteString(t.Target)
	if t.Inst != "" {
		c.buf.WriteByte(' ')
		c.buf.WriteString(t.Inst)
	}
	c.buf.WriteString("?>")
}

// absoluteURI reports whether s is empty (xmlns="") or starts with a URI
// scheme (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
func absoluteURI(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// escapeText applies Canonical XML §2.3 text node escaping.
func escapeText(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteByte(ch)
		}
	}
}

// escapeAttr applies Canonical XML §2.3 attribute value escaping.
func escapeAttr(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '"':
			b.WriteString("&quot;")
		case '\t':
			b.WriteString("&#x9;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteByte(ch)
		}
	}
}
