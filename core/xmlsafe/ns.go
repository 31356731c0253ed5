package xmlsafe

import (
	"fmt"

	"github.com/beevik/etree"
)

// LookupPrefix resolves prefix ("" for the default namespace) in the scope of
// el by walking el and its ancestors; xml and xmlns are predefined
// (Namespaces §3). ok is false for an undeclared prefix; the default
// namespace, when undeclared or undeclared with xmlns="", is ("", true).
func LookupPrefix(el *etree.Element, prefix string) (uri string, ok bool) {
	switch prefix {
	case "xml":
		return XMLNamespace, true
	case "xmlns":
		return XMLNSNamespace, true
	}
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if p, isDecl := attrDecl(a); isDecl && p == prefix {
				return a.Value, true
			}
		}
	}
	return "", prefix == ""
}

// NamespaceURI returns the namespace URI of el, resolved through the
// declarations in scope (not by comparing prefixes). It is "" for an element
// in no namespace and for an undeclared prefix (which Parse refuses).
func NamespaceURI(el *etree.Element) string {
	uri, _ := LookupPrefix(el, el.Space)
	return uri
}

// AttrNamespaceURI returns the namespace URI of attribute a of el: "" for an
// unprefixed attribute (Namespaces §6.2: the default namespace does not apply
// to attributes).
func AttrNamespaceURI(el *etree.Element, a etree.Attr) string {
	if a.Space == "" {
		return ""
	}
	uri, _ := LookupPrefix(el, a.Space)
	return uri
}

// IsNamespaceDecl reports whether a is a namespace declaration (xmlns or xmlns:p).
func IsNamespaceDecl(a etree.Attr) bool {
	_, ok := attrDecl(a)
	return ok
}

func attrDecl(a etree.Attr) (string, bool) {
	switch {
	case a.Space == "" && a.Key == "xmlns":
		return "", true
	case a.Space == "xmlns":
		return a.Key, true
	}
	return "", false
}

// Is reports whether el has namespace URI ns and local name local.
func Is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && NamespaceURI(el) == ns
}

// Attr returns the value of el's attribute with namespace URI ns ("" for an
// unqualified attribute) and local name local. With ns "" an attribute
// carrying any prefix never matches, so Attr(el, "", "Id") does not see
// evil:Id. Namespace declarations are never returned.
func Attr(el *etree.Element, ns, local string) (string, bool) {
	for _, a := range el.Attr {
		if a.Key != local || IsNamespaceDecl(a) {
			continue
		}
		if AttrNamespaceURI(el, a) == ns {
			return a.Value, true
		}
	}
	return "", false
}

// Children returns the child elements of el with namespace URI ns and local name local.
func Children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if Is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// Child returns the only child element of el named {ns}local. It fails with
// ErrNotFound when there is none and ErrAmbiguous when there are several.
func Child(el *etree.Element, ns, local string) (*etree.Element, error) {
	cs := Children(el, ns, local)
	switch len(cs) {
	case 1:
		return cs[0], nil
	case 0:
		return nil, fmt.Errorf("xmlsafe: child {%s}%s of <%s>: %w", ns, local, el.Tag, ErrNotFound)
	}
	return nil, fmt.Errorf("xmlsafe: child {%s}%s of <%s>: %w: %d", ns, local, el.Tag, ErrAmbiguous, len(cs))
}

// AttrName is an attribute's expanded name; Space is a namespace URI ("" for
// an unqualified attribute).
type AttrName struct{ Space, Local string }

// IndexIDs indexes root and its descendant elements by the value of each of
// the given id attributes. Any id value carried twice (by two elements, or by
// two different attributes of different elements) fails with ErrDuplicateID,
// because a duplicate id lets a signature reference one element while the
// application reads another (signature wrapping). An element carrying the
// same value in two of the named attributes is indexed once. Empty values are
// not indexed.
func IndexIDs(root *etree.Element, names ...AttrName) (map[string]*etree.Element, error) {
	ids := make(map[string]*etree.Element)
	var walk func(el *etree.Element) error
	walk = func(el *etree.Element) error {
		for _, n := range names {
			v, ok := Attr(el, n.Space, n.Local)
			if !ok || v == "" {
				continue
			}
			if prev, dup := ids[v]; dup && prev != el {
				return fmt.Errorf("xmlsafe: index ids: %w: %q", ErrDuplicateID, v)
			}
			ids[v] = el
		}
		for _, c := range el.ChildElements() {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	return ids, nil
}
