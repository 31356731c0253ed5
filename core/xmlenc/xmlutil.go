package xmlenc

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// Prefixes Element uses; namespaces are always declared on the element built.
const (
	prefixXenc      = "xenc"
	prefixXenc11    = "xenc11"
	prefixDSig      = "ds"
	prefixDSig11    = "dsig11"
	prefixDSigMore  = "dsig-more"
	maxKeyCipher    = 2048     // bytes of an EncryptedKey CipherValue: RSA-16384 or a wrapped key
	maxDataCipher   = 48 << 20 // bytes of an EncryptedData CipherValue
	maxPublicKeyDER = 1024     // bytes of a DEREncodedKeyValue
	maxAttrText     = 4096     // bytes of an identifier, URI or short text field
)

// builder creates elements and remembers which of our prefixes it used, so the root of
// what it built can declare exactly those.
type builder struct{ used map[string]string }

func newBuilder() *builder { return &builder{used: map[string]string{}} }

func (b *builder) el(parent *etree.Element, prefix, uri, local string) *etree.Element {
	b.used[prefix] = uri
	e := etree.NewElement(prefix + ":" + local)
	if parent != nil {
		parent.AddChild(e)
	}
	return e
}

// declare puts the namespace declarations of the used prefixes first on root.
func (b *builder) declare(root *etree.Element) {
	var decls []etree.Attr
	for _, p := range []string{prefixXenc, prefixXenc11, prefixDSig, prefixDSig11, prefixDSigMore} {
		if uri, ok := b.used[p]; ok {
			decls = append(decls, etree.Attr{Space: "xmlns", Key: p, Value: uri})
		}
	}
	root.Attr = append(decls, root.Attr...)
}

// container returns a copy of el if el already is the element {uri}local (by namespace
// URI, or by our conventional prefix when that prefix is undeclared), and otherwise a
// new {uri}local holding a copy of el.
func (b *builder) container(parent, el *etree.Element, prefix, uri, local string) *etree.Element {
	if el.Tag == local {
		got, declared := xmlsafe.LookupPrefix(el, el.Space)
		if (declared && got == uri) || (!declared && el.Space == prefix) {
			if !declared {
				b.used[prefix] = uri
			}
			c := detach(el)
			parent.AddChild(c)
			return c
		}
	}
	c := b.el(parent, prefix, uri, local)
	c.AddChild(detach(el))
	return c
}

// detach returns a copy of el that carries declarations for every namespace prefix it
// uses but declares only in its ancestors, so the copy stands (and parses) on its own.
func detach(el *etree.Element) *etree.Element {
	c := el.Copy()
	need := map[string]bool{}
	var walk func(e *etree.Element, declared map[string]bool)
	walk = func(e *etree.Element, declared map[string]bool) {
		local, copied := declared, false
		for _, a := range e.Attr {
			if xmlsafe.IsNamespaceDecl(a) {
				if !copied {
					copied = true
					local = make(map[string]bool, len(declared)+1)
					for k := range declared {
						local[k] = true
					}
				}
				p := a.Key
				if a.Space == "" {
					p = ""
				}
				local[p] = true
			}
		}
		if !local[e.Space] {
			need[e.Space] = true
		}
		for _, a := range e.Attr {
			if a.Space != "" && a.Space != "xmlns" && a.Space != "xml" && !local[a.Space] {
				need[a.Space] = true
			}
		}
		for _, ch := range e.ChildElements() {
			walk(ch, local)
		}
	}
	walk(c, map[string]bool{})
	var decls []etree.Attr
	for p := range need {
		uri, ok := xmlsafe.LookupPrefix(el, p)
		if !ok || p == "xml" {
			continue
		}
		if p == "" {
			if uri != "" {
				decls = append(decls, etree.Attr{Key: "xmlns", Value: uri})
			}
			continue
		}
		decls = append(decls, etree.Attr{Space: "xmlns", Key: p, Value: uri})
	}
	sortAttrs(decls)
	c.Attr = append(decls, c.Attr...)
	return c
}

func sortAttrs(a []etree.Attr) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].Key < a[j-1].Key; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// text returns the character data of el, refusing child elements.
func text(el *etree.Element, max int) (string, error) {
	var sb strings.Builder
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			return "", fmt.Errorf("<%s> has child element <%s>: %w", el.Tag, t.Tag, ErrMalformed)
		case *etree.CharData:
			sb.WriteString(t.Data)
			if sb.Len() > max {
				return "", fmt.Errorf("<%s> over %d bytes: %w", el.Tag, max, ErrMalformed)
			}
		}
	}
	return sb.String(), nil
}

// b64 decodes the base64Binary content of el strictly: XML whitespace is allowed between
// characters, anything else not in the alphabet, or non-canonical padding bits, is not.
func b64(el *etree.Element, max int) ([]byte, error) {
	s, err := text(el, base64.StdEncoding.EncodedLen(max)*2+1024)
	if err != nil {
		return nil, err
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	if base64.StdEncoding.DecodedLen(len(s)) > max+2 {
		return nil, fmt.Errorf("<%s> over %d bytes: %w", el.Tag, max, ErrMalformed)
	}
	out, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("<%s>: base64: %w: %w", el.Tag, ErrMalformed, err)
	}
	if len(out) > max {
		return nil, fmt.Errorf("<%s> over %d bytes: %w", el.Tag, max, ErrMalformed)
	}
	return out, nil
}

// attr returns the unqualified attribute local of el, capped.
func attr(el *etree.Element, local string) (string, bool, error) {
	v, ok := xmlsafe.Attr(el, "", local)
	if len(v) > maxAttrText {
		return "", false, fmt.Errorf("<%s %s> over %d bytes: %w", el.Tag, local, maxAttrText, ErrMalformed)
	}
	return v, ok, nil
}

// algorithm returns the required Algorithm attribute of el.
func algorithm(el *etree.Element) (Algorithm, error) {
	v, ok, err := attr(el, "Algorithm")
	if err != nil {
		return "", err
	}
	if !ok || v == "" {
		return "", fmt.Errorf("<%s> without Algorithm: %w", el.Tag, ErrMalformed)
	}
	return Algorithm(v), nil
}

// optChild returns the only child {ns}local of el and true, or false if there is none;
// several are an error.
func optChild(el *etree.Element, ns, local string) (*etree.Element, bool, error) {
	cs := xmlsafe.Children(el, ns, local)
	switch len(cs) {
	case 0:
		return nil, false, nil
	case 1:
		return cs[0], true, nil
	}
	return nil, false, fmt.Errorf("<%s> has %d <%s>: %w", el.Tag, len(cs), local, ErrMalformed)
}

// onlyChildren fails if el has a child element whose expanded name is not listed.
func onlyChildren(el *etree.Element, allowed ...[2]string) error {
	for _, c := range el.ChildElements() {
		ok := false
		for _, a := range allowed {
			if xmlsafe.Is(c, a[0], a[1]) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("unexpected <%s> in <%s>: %w", c.FullTag(), el.Tag, ErrMalformed)
		}
	}
	return nil
}

func positiveInt(el *etree.Element) (int, error) {
	s, err := text(el, 16)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("<%s> %q is not a positive integer: %w", el.Tag, s, ErrMalformed)
	}
	return n, nil
}
