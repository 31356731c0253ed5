// Package xmlsafe parses untrusted XML 1.0 (W3C REC-xml-20081126) with Namespaces
// in XML 1.0 (W3C REC-xml-names-20091208) into an etree document, refusing the
// constructs that attacks on XML signatures and parsers rely on, and looks
// elements and attributes up by namespace URI rather than by prefix.
//
// Parse refuses:
//   - any document type declaration (XML §2.8): no DTD, so no external entities
//     (XXE), no entity expansion (billion laughs) and no default attributes;
//   - entity references other than the five predefined ones (XML §4.6);
//     character references are decoded;
//   - duplicate attributes by expanded name (XML §3.1 WFC Unique Att Spec and
//     Namespaces §6.3), which etree would otherwise resolve last-wins;
//   - unbound prefixes (Namespaces §5 NSC Prefix Declared), xmlns:p=""
//     (Namespaces §3 NSC No Prefix Undeclaring), and the reserved xml/xmlns
//     bindings used wrongly (Namespaces §3 NSC Reserved Prefixes);
//   - an encoding declaration other than UTF-8;
//   - input beyond Limits (bytes, depth, attributes per element, attribute
//     value length, element count).
//
// Before handing the bytes to the decoder, Parse applies XML §2.11 end-of-line
// handling (CR LF and lone CR become LF) and XML §3.3.3 attribute-value
// normalisation for CDATA attributes (a literal tab or line feed inside an
// attribute value becomes a space; character references are kept), because
// encoding/xml does neither for attributes and canonical XML depends on both.
//
// A comment (or whitespace) before the XML declaration, as in DIGG's
// p-mode.xml, is not well-formed XML (XML §2.8 production [22] puts XMLDecl
// first). encoding/xml tolerates it, and so does Parse: the comment becomes
// the first child token of the document, followed by the declaration as an
// etree.ProcInst. Canonical forms never include the declaration.
package xmlsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// XMLNamespace is the namespace bound to the prefix xml (Namespaces §3).
const XMLNamespace = "http://www.w3.org/XML/1998/namespace"

// XMLNSNamespace is the namespace of the prefix xmlns (Namespaces §3).
const XMLNSNamespace = "http://www.w3.org/2000/xmlns/"

// Limits caps what Parse accepts.
type Limits struct {
	MaxBytes    int64 // total input size
	MaxDepth    int   // element nesting depth (the root element is depth 1)
	MaxAttrs    int   // attributes per element, namespace declarations included
	MaxAttrLen  int   // bytes of one attribute value after decoding
	MaxElements int   // elements in the document
}

// DefaultLimits are the limits for messages of the size AS4 carries in its SOAP part.
var DefaultLimits = Limits{
	MaxBytes:    64 << 20,
	MaxDepth:    64,
	MaxAttrs:    64,
	MaxAttrLen:  64 << 10,
	MaxElements: 1_000_000,
}

// Sentinels; the errors Parse and IndexIDs return wrap one of these (or a
// syntax error from encoding/xml).
var (
	ErrDTD           = errors.New("xmlsafe: document type declaration refused")
	ErrEntity        = errors.New("xmlsafe: entity reference refused")
	ErrLimit         = errors.New("xmlsafe: limit exceeded")
	ErrDuplicateAttr = errors.New("xmlsafe: duplicate attribute")
	ErrDuplicateID   = errors.New("xmlsafe: duplicate id")
	ErrNamespace     = errors.New("xmlsafe: namespace error")
	ErrSyntax        = errors.New("xmlsafe: not well-formed")
	ErrNotFound      = errors.New("xmlsafe: element not found")
	ErrAmbiguous     = errors.New("xmlsafe: more than one element")
)

// Parse reads at most lim.MaxBytes from r and parses it; see the package doc
// for what it refuses.
func Parse(r io.Reader, lim Limits) (*etree.Document, error) {
	if lim.MaxBytes <= 0 {
		return nil, fmt.Errorf("xmlsafe: parse: %w: MaxBytes must be positive", ErrLimit)
	}
	b, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("xmlsafe: read: %w", err)
	}
	return ParseBytes(b, lim)
}

// ParseBytes parses b; see Parse. b is not modified.
func ParseBytes(b []byte, lim Limits) (*etree.Document, error) {
	if int64(len(b)) > lim.MaxBytes {
		return nil, fmt.Errorf("xmlsafe: parse: %w: more than %d bytes", ErrLimit, lim.MaxBytes)
	}
	// XML §4.3.3: a UTF-8 byte order mark is not part of the document.
	b = normalize(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	if err := check(b, lim); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader: refuseCharset,
		// The pre-pass has found the duplicates already; keeping them all
		// means a missed case could never silently pick one.
		PreserveDuplicateAttrs: true,
		MaxDepth:               lim.MaxDepth + 1,
	}
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("xmlsafe: parse: %w: %w", ErrSyntax, err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("xmlsafe: parse: %w: no document element", ErrSyntax)
	}
	return doc, nil
}

func refuseCharset(charset string, _ io.Reader) (io.Reader, error) {
	return nil, fmt.Errorf("encoding %q: only UTF-8 is accepted", charset)
}

// normalize applies XML §2.11 end-of-line handling to the whole input and
// §3.3.3 attribute-value normalisation (CDATA type: each literal white space
// character becomes a space) to attribute values inside tags. It copies only
// when something changes.
func normalize(in []byte) []byte {
	if bytes.IndexByte(in, '\r') < 0 && !hasAttrWhitespace(in) {
		return in
	}
	b := bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))
	b = bytes.ReplaceAll(b, []byte("\r"), []byte("\n")) // ReplaceAll copies: in is never written
	scanAttrValues(b, func(i int) {
		if b[i] == '\t' || b[i] == '\n' {
			b[i] = ' '
		}
	})
	return b
}

func hasAttrWhitespace(b []byte) bool {
	found := false
	scanAttrValues(b, func(i int) {
		if b[i] == '\t' || b[i] == '\n' || b[i] == '\r' {
			found = true
		}
	})
	return found
}

// scanAttrValues calls f with the index of every byte inside a quoted
// attribute value of a start tag, skipping comments, CDATA sections,
// processing instructions and declarations. Malformed input is scanned on a
// best-effort basis; the decoder rejects it afterwards.
func scanAttrValues(b []byte, f func(i int)) {
	for i := 0; i < len(b); {
		if b[i] != '<' {
			i++
			continue
		}
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipPast(b, i+4, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipPast(b, i+9, "]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(b, i+2, "?>")
		case bytes.HasPrefix(rest, []byte("<!")), bytes.HasPrefix(rest, []byte("</")):
			i = skipPast(b, i+2, ">")
		default:
			i++
			var quote byte
			for ; i < len(b); i++ {
				c := b[i]
				if quote != 0 {
					if c == quote {
						quote = 0
					} else {
						f(i)
					}
					continue
				}
				if c == '"' || c == '\'' {
					quote = c
				} else if c == '>' {
					i++
					break
				}
			}
		}
	}
}

func skipPast(b []byte, from int, end string) int {
	if from > len(b) {
		return len(b)
	}
	j := bytes.Index(b[from:], []byte(end))
	if j < 0 {
		return len(b)
	}
	return from + j + len(end)
}

// check runs encoding/xml over b once, enforcing the limits, the DTD and
// entity rules, namespace well-formedness and attribute uniqueness.
func check(b []byte, lim Limits) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	dec.CharsetReader = refuseCharset
	type frame struct {
		name xml.Name
		ns   map[string]string // declarations on this element
	}
	var stack []frame
	lookup := func(prefix string) (string, bool) {
		switch prefix {
		case "xml":
			return XMLNamespace, true
		case "xmlns":
			return XMLNSNamespace, true
		}
		for i := len(stack) - 1; i >= 0; i-- {
			if v, ok := stack[i].ns[prefix]; ok {
				return v, true
			}
		}
		return "", prefix == ""
	}
	elements, roots := 0, 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) && strings.Contains(se.Msg, "entity") {
				return fmt.Errorf("xmlsafe: parse: %w: line %d: %s", ErrEntity, se.Line, se.Msg)
			}
			return fmt.Errorf("xmlsafe: parse: %w: %w", ErrSyntax, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			// XML §2.8: <!DOCTYPE ...> is the only directive allowed outside
			// markup declarations; any directive means a DTD (or garbage).
			return fmt.Errorf("xmlsafe: parse: %w", ErrDTD)
		case xml.StartElement:
			elements++
			if elements > lim.MaxElements {
				return fmt.Errorf("xmlsafe: parse: %w: more than %d elements", ErrLimit, lim.MaxElements)
			}
			if len(stack) == 0 {
				roots++
				if roots > 1 {
					return fmt.Errorf("xmlsafe: parse: %w: more than one document element", ErrSyntax)
				}
			}
			if len(stack)+1 > lim.MaxDepth {
				return fmt.Errorf("xmlsafe: parse: %w: depth over %d", ErrLimit, lim.MaxDepth)
			}
			if len(t.Attr) > lim.MaxAttrs {
				return fmt.Errorf("xmlsafe: parse: %w: %d attributes on <%s>", ErrLimit, len(t.Attr), t.Name.Local)
			}
			fr := frame{name: t.Name}
			for _, a := range t.Attr {
				if len(a.Value) > lim.MaxAttrLen {
					return fmt.Errorf("xmlsafe: parse: %w: attribute value over %d bytes", ErrLimit, lim.MaxAttrLen)
				}
				prefix, isDecl := declPrefix(a.Name)
				if !isDecl {
					continue
				}
				if err := checkDecl(prefix, a.Value); err != nil {
					return err
				}
				if fr.ns == nil {
					fr.ns = make(map[string]string)
				}
				if _, dup := fr.ns[prefix]; dup {
					return fmt.Errorf("xmlsafe: parse: %w: namespace declaration %q repeated", ErrDuplicateAttr, prefix)
				}
				fr.ns[prefix] = a.Value
			}
			stack = append(stack, fr)
			if t.Name.Space != "" {
				if _, ok := lookup(t.Name.Space); !ok || t.Name.Space == "xmlns" {
					return fmt.Errorf("xmlsafe: parse: %w: element prefix %q not declared", ErrNamespace, t.Name.Space)
				}
			}
			if strings.Contains(t.Name.Local, ":") {
				return fmt.Errorf("xmlsafe: parse: %w: name %q", ErrNamespace, t.Name.Local)
			}
			seen := make(map[xml.Name]bool, len(t.Attr))
			for _, a := range t.Attr {
				if _, isDecl := declPrefix(a.Name); isDecl {
					continue
				}
				if strings.Contains(a.Name.Local, ":") {
					return fmt.Errorf("xmlsafe: parse: %w: attribute name %q", ErrNamespace, a.Name.Local)
				}
				key := xml.Name{Local: a.Name.Local}
				if a.Name.Space != "" {
					uri, ok := lookup(a.Name.Space)
					if !ok || a.Name.Space == "xmlns" {
						return fmt.Errorf("xmlsafe: parse: %w: attribute prefix %q not declared", ErrNamespace, a.Name.Space)
					}
					key.Space = uri
				}
				// XML §3.1 WFC Unique Att Spec; Namespaces §6.3: no two
				// attributes with the same expanded name.
				if seen[key] {
					return fmt.Errorf("xmlsafe: parse: %w: {%s}%s on <%s>", ErrDuplicateAttr, key.Space, key.Local, t.Name.Local)
				}
				seen[key] = true
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return fmt.Errorf("xmlsafe: parse: %w: unexpected end tag", ErrSyntax)
			}
			top := stack[len(stack)-1]
			if top.name != t.Name {
				return fmt.Errorf("xmlsafe: parse: %w: end tag %q does not match", ErrSyntax, t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimLeft(t, " \t\n\r")) != 0 {
				return fmt.Errorf("xmlsafe: parse: %w: text outside the document element", ErrSyntax)
			}
		case xml.ProcInst:
			if strings.EqualFold(t.Target, "xml") && (t.Target != "xml" || elements > 0) {
				return fmt.Errorf("xmlsafe: parse: %w: misplaced XML declaration", ErrSyntax)
			}
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("xmlsafe: parse: %w: unclosed element <%s>", ErrSyntax, stack[len(stack)-1].name.Local)
	}
	if roots == 0 {
		return fmt.Errorf("xmlsafe: parse: %w: no document element", ErrSyntax)
	}
	return nil
}

// declPrefix reports whether n names a namespace declaration, and the prefix
// it declares ("" for the default namespace).
func declPrefix(n xml.Name) (string, bool) {
	switch {
	case n.Space == "" && n.Local == "xmlns":
		return "", true
	case n.Space == "xmlns":
		return n.Local, true
	}
	return "", false
}

func checkDecl(prefix, uri string) error {
	switch {
	case prefix == "xmlns":
		// Namespaces §3 NSC Reserved Prefixes: xmlns must not be declared.
		return fmt.Errorf("xmlsafe: parse: %w: xmlns:xmlns declared", ErrNamespace)
	case prefix == "xml" && uri != XMLNamespace, prefix != "xml" && uri == XMLNamespace:
		// Namespaces §3: xml is bound only to its namespace, and that namespace only to xml.
		return fmt.Errorf("xmlsafe: parse: %w: xml prefix bound wrongly", ErrNamespace)
	case uri == XMLNSNamespace:
		return fmt.Errorf("xmlsafe: parse: %w: xmlns namespace declared", ErrNamespace)
	case prefix != "" && uri == "":
		// Namespaces §3 NSC No Prefix Undeclaring (XML 1.0 names).
		return fmt.Errorf("xmlsafe: parse: %w: xmlns:%s=\"\"", ErrNamespace, prefix)
	}
	return nil
}
