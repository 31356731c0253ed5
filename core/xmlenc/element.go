package xmlenc

import (
	"bytes"
	"crypto"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// EncryptElement encrypts el as XML Encryption 1.1 §4.2 Type=#Element and returns the
// xenc:EncryptedData that replaces el; the caller swaps it in. el is serialised as it is,
// with every namespace declaration in scope from its ancestors added to its start tag, so
// the decrypted octets parse on their own. keyInfo (may be nil) goes into ds:KeyInfo, e.g.
// the xenc:EncryptedKey of DIGG's O2O layer. el is not modified.
func EncryptElement(el *etree.Element, alg Algorithm, cek []byte, keyInfo *etree.Element) (*etree.Element, error) {
	d, err := EncryptElementData(el, alg, cek, keyInfo)
	if err != nil {
		return nil, err
	}
	return d.Element(), nil
}

// EncryptElementData is EncryptElement returning the EncryptedData value (to set its ID,
// for example) rather than the element.
func EncryptElementData(el *etree.Element, alg Algorithm, cek []byte, keyInfo *etree.Element) (*EncryptedData, error) {
	if el == nil {
		return nil, fmt.Errorf("xmlenc: encrypt element: no element: %w", ErrMalformed)
	}
	plain, err := serialize(el)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: encrypt element: %w", err)
	}
	ct, err := Encrypt(alg, cek, plain)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: encrypt element: %w", err)
	}
	return &EncryptedData{Type: string(TypeElement), Algorithm: alg, KeyInfo: keyInfo, CipherValue: ct}, nil
}

// serialize writes el as it is, adding to its start tag every namespace declaration in
// scope from its ancestors (as inclusive c14n does), so that prefixes used in names and
// in content (QName values such as xsi:type) all resolve when the octets are parsed alone.
func serialize(el *etree.Element) ([]byte, error) {
	c := el.Copy()
	own := map[string]bool{}
	for _, a := range c.Attr {
		if xmlsafe.IsNamespaceDecl(a) {
			own[declPrefix(a)] = true
		}
	}
	var decls []etree.Attr
	for p, uri := range inScope(el.Parent()) {
		if own[p] || p == "xml" {
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
	doc := etree.NewDocument()
	doc.SetRoot(c)
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("serialize: %w", err)
	}
	return buf.Bytes(), nil
}

// DecryptElement decrypts an EncryptedData of Type #Element (§4.3) with cek and parses
// the plaintext with xmlsafe's default limits. The element returned has no parent.
func DecryptElement(ed *EncryptedData, cek []byte) (*etree.Element, error) {
	return DecryptElementLimits(ed, cek, xmlsafe.DefaultLimits)
}

// DecryptElementLimits is DecryptElement with explicit parser limits.
func DecryptElementLimits(ed *EncryptedData, cek []byte, lim xmlsafe.Limits) (*etree.Element, error) {
	if ed == nil {
		return nil, fmt.Errorf("xmlenc: decrypt element: no encrypted data: %w", ErrMalformed)
	}
	if ed.Type != string(TypeElement) {
		return nil, fmt.Errorf("xmlenc: decrypt element: Type %q is not %s: %w", ed.Type, TypeElement, ErrUnsupported)
	}
	if ed.CipherReference != nil || len(ed.CipherValue) == 0 {
		return nil, fmt.Errorf("xmlenc: decrypt element: no CipherValue: %w", ErrMalformed)
	}
	plain, err := Decrypt(ed.Algorithm, cek, ed.CipherValue)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: decrypt element: %w", err)
	}
	el, err := parseInContext(plain, ed.Context, lim)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: decrypt element: %w", err)
	}
	return el, nil
}

// parseInContext parses the serialised element plain inside a wrapper element that
// declares ctx (§4.3: the plaintext is parsed in the context of the EncryptedData's
// parent), and returns the one element it holds, detached and carrying the declarations
// it uses.
func parseInContext(plain []byte, ctx map[string]string, lim xmlsafe.Limits) (*etree.Element, error) {
	plain = bytes.TrimPrefix(plain, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(plain, []byte("<?xml")) {
		end := bytes.Index(plain, []byte("?>"))
		if end < 0 {
			return nil, fmt.Errorf("unterminated xml declaration: %w", ErrMalformed)
		}
		plain = plain[end+2:]
	}
	prefixes := make([]string, 0, len(ctx))
	for p := range ctx {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	var buf bytes.Buffer
	buf.WriteString("<xmlenc-context")
	for _, p := range prefixes {
		if p == "xml" || p == "xmlns" || (p != "" && ctx[p] == "") {
			continue
		}
		if p == "" {
			buf.WriteString(` xmlns="`)
		} else {
			buf.WriteString(" xmlns:" + p + `="`)
		}
		if err := xml.EscapeText(&buf, []byte(ctx[p])); err != nil {
			return nil, fmt.Errorf("context: %w", err)
		}
		buf.WriteByte('"')
	}
	buf.WriteByte('>')
	buf.Write(plain)
	buf.WriteString("</xmlenc-context>")
	lim.MaxDepth++
	lim.MaxElements++
	lim.MaxBytes += int64(buf.Len() - len(plain))
	doc, err := xmlsafe.ParseBytes(buf.Bytes(), lim)
	if err != nil {
		return nil, err
	}
	wrapper := doc.Root()
	var el *etree.Element
	for _, t := range wrapper.Child {
		switch t := t.(type) {
		case *etree.Element:
			if el != nil {
				return nil, fmt.Errorf("plaintext holds more than one element: %w", ErrMalformed)
			}
			el = t
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return nil, fmt.Errorf("plaintext holds text outside its element: %w", ErrMalformed)
			}
		}
	}
	if el == nil {
		return nil, fmt.Errorf("plaintext holds no element: %w", ErrMalformed)
	}
	return detach(el), nil
}

// UnwrapRSA recovers the content key of a key transport EncryptedKey with d.
func (k *EncryptedKey) UnwrapRSA(d crypto.Decrypter) ([]byte, error) {
	if k.Transport == nil {
		return nil, fmt.Errorf("xmlenc: encrypted key: not key transport: %w", ErrUnsupported)
	}
	return k.Transport.Unwrap(d, k.CipherValue)
}

// UnwrapAgreement recovers the content key of a key agreement EncryptedKey with the
// recipient's key.
func (k *EncryptedKey) UnwrapAgreement(key ECDHKey) ([]byte, error) {
	if k.Agreement == nil {
		return nil, fmt.Errorf("xmlenc: encrypted key: not key agreement: %w", ErrUnsupported)
	}
	return k.Agreement.Unwrap(key, k.Ephemeral, k.CipherValue)
}
