package xmlenc

import (
	"encoding/base64"
	"fmt"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// CipherReference is xenc:CipherReference (XML Encryption 1.1 §3.3.1): where the cipher
// text is, e.g. "cid:part@example" with the WSS SwA Attachment-Ciphertext-Transform.
type CipherReference struct {
	URI        string
	Transforms []string // ds:Transform Algorithm URIs inside xenc:Transforms, in order
}

// EncryptedData is xenc:EncryptedData (§3.4). Exactly one of CipherValue and
// CipherReference is set. Type is e.g. TypeElement (O2O) or the SwA
// Attachment-Content-Only type (AS4).
//
// KeyInfo is handled as in EncryptedKey: Element accepts the ds:KeyInfo element or one
// element to put in it (an xenc:EncryptedKey for O2O, a wsse:SecurityTokenReference for
// AS4); ParseEncryptedData returns a detached copy of ds:KeyInfo (nil if absent).
//
// Context holds the namespace declarations in scope at the parent of a parsed
// EncryptedData (prefix → URI, "" for the default namespace). DecryptElement parses the
// plaintext in that context, as §4.3 requires: a serialised element need not declare the
// prefixes it inherits (xmlsec1 does not). Element ignores it.
type EncryptedData struct {
	ID, Type, MimeType, Encoding string
	Algorithm                    Algorithm
	KeyInfo                      *etree.Element
	CipherValue                  []byte
	CipherReference              *CipherReference
	Context                      map[string]string
}

// Element builds the xenc:EncryptedData element, declaring the prefixes it uses on
// itself. It does not validate; Validate does.
func (d *EncryptedData) Element() *etree.Element {
	b := newBuilder()
	root := b.el(nil, prefixXenc, Namespace, "EncryptedData")
	for _, a := range [][2]string{{"Id", d.ID}, {"Type", d.Type}, {"MimeType", d.MimeType}, {"Encoding", d.Encoding}} {
		if a[1] != "" {
			root.CreateAttr(a[0], a[1])
		}
	}
	b.el(root, prefixXenc, Namespace, "EncryptionMethod").CreateAttr("Algorithm", string(d.Algorithm))
	if d.KeyInfo != nil {
		b.container(root, d.KeyInfo, prefixDSig, NamespaceDSig, "KeyInfo")
	}
	cd := b.el(root, prefixXenc, Namespace, "CipherData")
	if d.CipherReference != nil {
		cr := b.el(cd, prefixXenc, Namespace, "CipherReference")
		cr.CreateAttr("URI", d.CipherReference.URI)
		if len(d.CipherReference.Transforms) > 0 {
			ts := b.el(cr, prefixXenc, Namespace, "Transforms")
			for _, t := range d.CipherReference.Transforms {
				b.el(ts, prefixDSig, NamespaceDSig, "Transform").CreateAttr("Algorithm", t)
			}
		}
	} else {
		b.el(cd, prefixXenc, Namespace, "CipherValue").SetText(base64.StdEncoding.EncodeToString(d.CipherValue))
	}
	b.declare(root)
	return root
}

// Validate checks d as ParseEncryptedData would check the element d builds.
func (d *EncryptedData) Validate() error {
	_, err := ParseEncryptedData(d.Element())
	return err
}

// EncryptedKeys parses the xenc:EncryptedKey children of d.KeyInfo, as DIGG's O2O layer
// carries them (spec-facts.md §a). It fails if there are none.
func (d *EncryptedData) EncryptedKeys() ([]*EncryptedKey, error) {
	if d.KeyInfo == nil {
		return nil, fmt.Errorf("xmlenc: encrypted data: no ds:KeyInfo: %w", ErrMalformed)
	}
	ki := d.KeyInfo
	if !xmlsafe.Is(ki, NamespaceDSig, "KeyInfo") {
		// A caller-built value holding the content only.
		ki = etree.NewElement("KeyInfo")
		ki.AddChild(detach(d.KeyInfo))
	}
	var out []*EncryptedKey
	for _, el := range xmlsafe.Children(ki, Namespace, "EncryptedKey") {
		k, err := ParseEncryptedKey(el)
		if err != nil {
			return nil, fmt.Errorf("xmlenc: encrypted data: %w", err)
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("xmlenc: encrypted data: no xenc:EncryptedKey in ds:KeyInfo: %w", ErrMalformed)
	}
	return out, nil
}

// ParseEncryptedData reads an xenc:EncryptedData. EncryptionMethod is required and must
// be a block cipher of this package; CipherData holds exactly one of CipherValue
// (base64, capped) and CipherReference. el is not modified.
func ParseEncryptedData(el *etree.Element) (*EncryptedData, error) {
	d, err := parseEncryptedData(el)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: encrypted data: %w", err)
	}
	return d, nil
}

func parseEncryptedData(el *etree.Element) (*EncryptedData, error) {
	if el == nil || !xmlsafe.Is(el, Namespace, "EncryptedData") {
		return nil, fmt.Errorf("not an xenc:EncryptedData: %w", ErrMalformed)
	}
	if err := onlyChildren(el, [2]string{Namespace, "EncryptionMethod"}, [2]string{NamespaceDSig, "KeyInfo"},
		[2]string{Namespace, "CipherData"}, [2]string{Namespace, "EncryptionProperties"}); err != nil {
		return nil, err
	}
	d := &EncryptedData{Context: inScope(el.Parent())}
	for _, a := range []struct {
		name string
		dst  *string
	}{{"Id", &d.ID}, {"Type", &d.Type}, {"MimeType", &d.MimeType}, {"Encoding", &d.Encoding}} {
		v, _, err := attr(el, a.name)
		if err != nil {
			return nil, err
		}
		*a.dst = v
	}
	// §3.1 lets EncryptionMethod be implied by context; we never have that context.
	em, err := xmlsafe.Child(el, Namespace, "EncryptionMethod")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if d.Algorithm, err = algorithm(em); err != nil {
		return nil, err
	}
	if !IsBlockCipher(d.Algorithm) {
		return nil, fmt.Errorf("content encryption %q: %w", d.Algorithm, ErrUnsupported)
	}
	if err := onlyChildren(em, [2]string{Namespace, "KeySize"}); err != nil {
		return nil, err
	}
	if ks, ok, err := optChild(em, Namespace, "KeySize"); err != nil {
		return nil, err
	} else if ok {
		// §3.1 KeySize is in bits and must agree with the algorithm.
		bits, err := positiveInt(ks)
		if err != nil {
			return nil, err
		}
		if n, _ := KeySize(d.Algorithm); bits != 8*n {
			return nil, fmt.Errorf("KeySize %d for %s: %w", bits, d.Algorithm, ErrMalformed)
		}
	}
	if ki, ok, err := optChild(el, NamespaceDSig, "KeyInfo"); err != nil {
		return nil, err
	} else if ok {
		d.KeyInfo = detach(ki)
	}
	cd, err := xmlsafe.Child(el, Namespace, "CipherData")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := onlyChildren(cd, [2]string{Namespace, "CipherValue"}, [2]string{Namespace, "CipherReference"}); err != nil {
		return nil, err
	}
	// §3.3: CipherData holds exactly one of CipherValue and CipherReference.
	if n := len(cd.ChildElements()); n != 1 {
		return nil, fmt.Errorf("CipherData with %d children: %w", n, ErrMalformed)
	}
	if cv, ok, _ := optChild(cd, Namespace, "CipherValue"); ok {
		if d.CipherValue, err = b64(cv, maxDataCipher); err != nil {
			return nil, err
		}
		if len(d.CipherValue) == 0 {
			return nil, fmt.Errorf("empty CipherValue: %w", ErrMalformed)
		}
		return d, nil
	}
	cr, err := xmlsafe.Child(cd, Namespace, "CipherReference")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	ref := &CipherReference{}
	u, ok, err := attr(cr, "URI")
	if err != nil {
		return nil, err
	}
	if !ok || u == "" {
		return nil, fmt.Errorf("CipherReference without URI: %w", ErrMalformed)
	}
	ref.URI = u
	if err := onlyChildren(cr, [2]string{Namespace, "Transforms"}); err != nil {
		return nil, err
	}
	if ts, ok, err := optChild(cr, Namespace, "Transforms"); err != nil {
		return nil, err
	} else if ok {
		if err := onlyChildren(ts, [2]string{NamespaceDSig, "Transform"}); err != nil {
			return nil, err
		}
		for _, t := range xmlsafe.Children(ts, NamespaceDSig, "Transform") {
			a, err := algorithm(t)
			if err != nil {
				return nil, err
			}
			ref.Transforms = append(ref.Transforms, string(a))
		}
	}
	d.CipherReference = ref
	return d, nil
}

// inScope returns the namespace declarations in scope at el (nil el: none).
func inScope(el *etree.Element) map[string]string {
	m := map[string]string{}
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if !xmlsafe.IsNamespaceDecl(a) {
				continue
			}
			p := declPrefix(a)
			if _, seen := m[p]; !seen {
				m[p] = a.Value
			}
		}
	}
	return m
}

// declPrefix is the prefix a namespace declaration binds ("" for xmlns="...").
func declPrefix(a etree.Attr) string {
	if a.Space == "" {
		return ""
	}
	return a.Key
}
