package xmldsig

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// NamespaceExcC14N is the namespace of ec:InclusiveNamespaces (Exclusive XML
// Canonicalization 1.0 §3).
const NamespaceExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

// Caps on what ParseSignature accepts (denial of service by transform or
// reference chains).
const (
	MaxReferences = 64
	MaxTransforms = 8
)

// Sentinels. Errors from this package wrap one of these.
var (
	// ErrDigestMismatch: a Reference's digest does not match its data.
	ErrDigestMismatch = errors.New("xmldsig: digest mismatch")
	// ErrBadSignature: SignatureValue does not verify over SignedInfo.
	ErrBadSignature = errors.New("xmldsig: bad signature")
	// ErrUnsupported: an algorithm, transform or URI form this package does
	// not implement or refuses (XPath, XSLT, Base64 transforms, xpointer).
	ErrUnsupported = errors.New("xmldsig: unsupported")
	// ErrReference: a Reference cannot be resolved (unknown id, missing URI).
	ErrReference = errors.New("xmldsig: reference")
	// ErrPolicy: an algorithm or key is supported but the Policy refuses it.
	ErrPolicy = errors.New("xmldsig: refused by policy")
	// ErrMalformed: ds:Signature does not have the structure of XMLDSig §4.
	ErrMalformed = errors.New("xmldsig: malformed signature")
	// ErrNoCertificate: ds:KeyInfo carries no ds:X509Certificate.
	ErrNoCertificate = errors.New("xmldsig: no certificate in KeyInfo")
)

// Reference is one ds:Reference (XMLDSig §4.4.3).
type Reference struct {
	URI          string // "#id", "" (whole document) or "cid:..."
	ID           string // optional Id attribute of ds:Reference
	Transforms   []Transform
	Prefixes     []string // InclusiveNamespaces PrefixList for an exc-c14n transform
	DigestMethod DigestMethod
	DigestValue  []byte
}

// Signature is a parsed ds:Signature. Parsing verifies nothing: use Verify.
type Signature struct {
	Element     *etree.Element // ds:Signature
	SignedInfo  *etree.Element
	Method      SignatureMethod
	C14N        c14n.Method
	C14NPrefix  []string // InclusiveNamespaces PrefixList of CanonicalizationMethod
	References  []Reference
	RefElements []*etree.Element // the ds:Reference elements, same order (copied into NRR receipts)
	KeyInfo     *etree.Element   // may be nil
	Value       []byte
}

// ParseSignature reads the structure of sig (XMLDSig §4): SignedInfo first,
// then SignatureValue, an optional KeyInfo and any ds:Object elements.
func ParseSignature(sig *etree.Element) (*Signature, error) {
	if !xmlsafe.Is(sig, Namespace, "Signature") {
		return nil, fmt.Errorf("xmldsig: parse: %w: not a ds:Signature", ErrMalformed)
	}
	kids := sig.ChildElements()
	// XMLDSig §4.1 schema: SignedInfo, SignatureValue, KeyInfo?, Object*.
	if len(kids) < 2 || !xmlsafe.Is(kids[0], Namespace, "SignedInfo") || !xmlsafe.Is(kids[1], Namespace, "SignatureValue") {
		return nil, fmt.Errorf("xmldsig: parse: %w: SignedInfo and SignatureValue must come first", ErrMalformed)
	}
	s := &Signature{Element: sig, SignedInfo: kids[0]}
	for i, k := range kids[2:] {
		switch {
		case i == 0 && xmlsafe.Is(k, Namespace, "KeyInfo"):
			s.KeyInfo = k
		case xmlsafe.Is(k, Namespace, "Object"):
		default:
			return nil, fmt.Errorf("xmldsig: parse: %w: unexpected <%s>", ErrMalformed, k.FullTag())
		}
	}
	v, err := decodeBase64(kids[1].Text())
	if err != nil {
		return nil, fmt.Errorf("xmldsig: parse SignatureValue: %w: %w", ErrMalformed, err)
	}
	s.Value = v
	if err := s.parseSignedInfo(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Signature) parseSignedInfo() error {
	si, err := parseSignedInfo(s.SignedInfo)
	if err != nil {
		return err
	}
	s.Method, s.C14N, s.C14NPrefix = si.method, si.c14n, si.prefixes
	s.References, s.RefElements = si.refs, si.refEls
	return nil
}

type signedInfo struct {
	method   SignatureMethod
	c14n     c14n.Method
	prefixes []string
	refs     []Reference
	refEls   []*etree.Element
}

func parseSignedInfo(el *etree.Element) (*signedInfo, error) {
	kids := el.ChildElements()
	// XMLDSig §4.4: CanonicalizationMethod, SignatureMethod, Reference+.
	if len(kids) < 3 || !xmlsafe.Is(kids[0], Namespace, "CanonicalizationMethod") || !xmlsafe.Is(kids[1], Namespace, "SignatureMethod") {
		return nil, fmt.Errorf("xmldsig: parse SignedInfo: %w: need CanonicalizationMethod, SignatureMethod, Reference", ErrMalformed)
	}
	si := &signedInfo{}
	alg, err := algorithm(kids[0])
	if err != nil {
		return nil, err
	}
	si.c14n = c14n.Method(alg)
	if si.prefixes, err = inclusivePrefixes(kids[0], isExclusive(si.c14n)); err != nil {
		return nil, err
	}
	alg, err = algorithm(kids[1])
	if err != nil {
		return nil, err
	}
	si.method = SignatureMethod(alg)
	if len(kids[1].ChildElements()) != 0 {
		// XMLDSig §4.4.2: HMACOutputLength; no asymmetric method has children.
		return nil, fmt.Errorf("xmldsig: parse SignatureMethod: %w: parameters not supported", ErrUnsupported)
	}
	refs := kids[2:]
	if len(refs) > MaxReferences {
		return nil, fmt.Errorf("xmldsig: parse SignedInfo: %w: %d references, at most %d", ErrUnsupported, len(refs), MaxReferences)
	}
	for _, r := range refs {
		if !xmlsafe.Is(r, Namespace, "Reference") {
			return nil, fmt.Errorf("xmldsig: parse SignedInfo: %w: unexpected <%s>", ErrMalformed, r.FullTag())
		}
		ref, err := parseReference(r)
		if err != nil {
			return nil, err
		}
		si.refs = append(si.refs, ref)
		si.refEls = append(si.refEls, r)
	}
	return si, nil
}

func parseReference(r *etree.Element) (Reference, error) {
	var ref Reference
	uri, ok := xmlsafe.Attr(r, "", "URI")
	if !ok {
		// XMLDSig §4.4.3.1 allows one URI-less Reference whose object the
		// application knows; nothing in AS4, XHE or SMP uses it.
		return ref, fmt.Errorf("xmldsig: parse Reference: %w: no URI attribute", ErrReference)
	}
	ref.URI = uri
	ref.ID, _ = xmlsafe.Attr(r, "", "Id")
	kids := r.ChildElements()
	i := 0
	if i < len(kids) && xmlsafe.Is(kids[i], Namespace, "Transforms") {
		ts := kids[i].ChildElements()
		if len(ts) == 0 || len(ts) > MaxTransforms {
			return ref, fmt.Errorf("xmldsig: parse Reference %q: %w: %d transforms", uri, ErrMalformed, len(ts))
		}
		for _, t := range ts {
			if !xmlsafe.Is(t, Namespace, "Transform") {
				return ref, fmt.Errorf("xmldsig: parse Reference %q: %w: unexpected <%s>", uri, ErrMalformed, t.FullTag())
			}
			alg, err := algorithm(t)
			if err != nil {
				return ref, err
			}
			tr := Transform(alg)
			ref.Transforms = append(ref.Transforms, tr)
			p, err := inclusivePrefixes(t, tr == TransformExcC14N || tr == TransformExcC14NComments)
			if err != nil {
				return ref, err
			}
			if p != nil {
				ref.Prefixes = p
			}
		}
		i++
	}
	if i+2 != len(kids) || !xmlsafe.Is(kids[i], Namespace, "DigestMethod") || !xmlsafe.Is(kids[i+1], Namespace, "DigestValue") {
		return ref, fmt.Errorf("xmldsig: parse Reference %q: %w: need Transforms?, DigestMethod, DigestValue", uri, ErrMalformed)
	}
	alg, err := algorithm(kids[i])
	if err != nil {
		return ref, err
	}
	ref.DigestMethod = DigestMethod(alg)
	if ref.DigestValue, err = decodeBase64(kids[i+1].Text()); err != nil {
		return ref, fmt.Errorf("xmldsig: parse Reference %q DigestValue: %w: %w", uri, ErrMalformed, err)
	}
	return ref, nil
}

func algorithm(el *etree.Element) (string, error) {
	a, ok := xmlsafe.Attr(el, "", "Algorithm")
	if !ok || a == "" {
		return "", fmt.Errorf("xmldsig: parse %s: %w: no Algorithm", el.Tag, ErrMalformed)
	}
	return a, nil
}

// inclusivePrefixes reads an ec:InclusiveNamespaces child (Exclusive c14n
// §3). It is refused anywhere but under an exclusive c14n method, as is any
// other child element.
func inclusivePrefixes(el *etree.Element, exclusive bool) ([]string, error) {
	kids := el.ChildElements()
	if len(kids) == 0 {
		return nil, nil
	}
	if !exclusive || len(kids) != 1 || !xmlsafe.Is(kids[0], NamespaceExcC14N, "InclusiveNamespaces") {
		return nil, fmt.Errorf("xmldsig: parse %s: %w: unexpected <%s>", el.Tag, ErrUnsupported, kids[0].FullTag())
	}
	list, _ := xmlsafe.Attr(kids[0], "", "PrefixList")
	return strings.Fields(list), nil
}

func isExclusive(m c14n.Method) bool { return m == c14n.ExcC14N || m == c14n.ExcC14NComments }

// decodeBase64 decodes base64Binary content, ignoring XML white space.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

// KeyInfoCertificates returns the certificates in keyInfo's
// ds:X509Data/ds:X509Certificate elements (XMLDSig §4.5.4), in document
// order; the first is usually the signer. It fails with ErrNoCertificate
// when there is none.
func KeyInfoCertificates(keyInfo *etree.Element) ([]*x509.Certificate, error) {
	if keyInfo == nil {
		return nil, fmt.Errorf("xmldsig: key info: %w: no KeyInfo", ErrNoCertificate)
	}
	var certs []*x509.Certificate
	for _, xd := range xmlsafe.Children(keyInfo, Namespace, "X509Data") {
		for _, c := range xmlsafe.Children(xd, Namespace, "X509Certificate") {
			der, err := decodeBase64(c.Text())
			if err != nil {
				return nil, fmt.Errorf("xmldsig: key info: X509Certificate: %w", err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("xmldsig: key info: X509Certificate: %w", err)
			}
			certs = append(certs, cert)
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("xmldsig: key info: %w", ErrNoCertificate)
	}
	return certs, nil
}
