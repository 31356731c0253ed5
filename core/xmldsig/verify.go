package xmldsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/subtle"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/beevik/etree"
	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// Resolver returns the octets to digest for one Reference (transforms
// applied) and, for same-document references, the element that was digested.
type Resolver interface {
	Resolve(ref Reference) (data []byte, el *etree.Element, err error)
}

// Policy restricts what Verify accepts. A nil list means the default:
// Methods RSASHA256, RSASHA512, ECDSASHA256, Ed25519 (not RSASHA1); Digests
// SHA256, SHA512 (not SHA1); C14N the four c14n 1.0 methods. MinRSABits
// defaults to 2048 and MaxRSABits to 4096.
type Policy struct {
	Methods    []SignatureMethod
	Digests    []DigestMethod
	C14N       []c14n.Method
	MinRSABits int
	MaxRSABits int
}

func (p Policy) withDefaults() Policy {
	if p.Methods == nil {
		p.Methods = []SignatureMethod{RSASHA256, RSASHA512, ECDSASHA256, Ed25519}
	}
	if p.Digests == nil {
		p.Digests = []DigestMethod{SHA256, SHA512}
	}
	if p.C14N == nil {
		p.C14N = []c14n.Method{c14n.C14N10, c14n.C14N10Comments, c14n.ExcC14N, c14n.ExcC14NComments}
	}
	if p.MinRSABits == 0 {
		p.MinRSABits = 2048
	}
	if p.MaxRSABits == 0 {
		p.MaxRSABits = 4096
	}
	return p
}

// VerifiedReference is a Reference whose digest matched. Element is the
// element that was digested (nil for non-XML data such as attachments):
// callers must use it rather than look the id up again.
type VerifiedReference struct {
	Reference
	Element    *etree.Element
	RefElement *etree.Element
}

// Verified is the result of a successful Verify: only what was verified.
type Verified struct{ References []VerifiedReference }

// Verify checks SignedInfo's signature with pub, then EVERY Reference through
// res (XMLDSig §3.2: core validation). The References acted on are parsed
// again from the canonical SignedInfo octets that the signature covers, and
// must equal s.References. Any failure fails the whole signature:
// ErrBadSignature, ErrDigestMismatch, ErrPolicy, ErrUnsupported or the
// resolver's error.
func (s *Signature) Verify(pub crypto.PublicKey, res Resolver, p Policy) (*Verified, error) {
	p = p.withDefaults()
	if !slices.Contains(p.Methods, s.Method) {
		return nil, fmt.Errorf("xmldsig: verify: signature method %q: %w", s.Method, ErrPolicy)
	}
	if !slices.Contains(p.C14N, s.C14N) {
		return nil, fmt.Errorf("xmldsig: verify: canonicalization method %q: %w", s.C14N, ErrPolicy)
	}
	canon, err := c14n.Canonicalize(s.C14N, s.SignedInfo, nil, s.C14NPrefix)
	if err != nil {
		return nil, fmt.Errorf("xmldsig: verify: canonicalize SignedInfo: %w", err)
	}
	if err := verifyValue(s.Method, pub, canon, s.Value, p); err != nil {
		return nil, err
	}
	// From here on, act only on what the signature covers.
	sdoc, err := xmlsafe.ParseBytes(canon, xmlsafe.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("xmldsig: verify: reparse SignedInfo: %w", err)
	}
	si, err := parseSignedInfo(sdoc.Root())
	if err != nil {
		return nil, fmt.Errorf("xmldsig: verify: reparse SignedInfo: %w", err)
	}
	if si.method != s.Method || si.c14n != s.C14N || len(si.refs) != len(s.RefElements) || !refsEqual(si.refs, s.References) {
		return nil, fmt.Errorf("xmldsig: verify: %w: parsed SignedInfo differs from the signed one", ErrBadSignature)
	}
	out := &Verified{}
	for i, ref := range si.refs {
		if !slices.Contains(p.Digests, ref.DigestMethod) {
			return nil, fmt.Errorf("xmldsig: verify: reference %q: digest method %q: %w", ref.URI, ref.DigestMethod, ErrPolicy)
		}
		for _, t := range ref.Transforms {
			if isC14N(t) && !slices.Contains(p.C14N, c14n.Method(t)) {
				return nil, fmt.Errorf("xmldsig: verify: reference %q: transform %q: %w", ref.URI, t, ErrPolicy)
			}
		}
		data, el, err := res.Resolve(ref)
		if err != nil {
			return nil, fmt.Errorf("xmldsig: verify: reference %q: %w", ref.URI, err)
		}
		d, err := Digest(ref.DigestMethod, data)
		if err != nil {
			return nil, fmt.Errorf("xmldsig: verify: reference %q: %w", ref.URI, err)
		}
		if subtle.ConstantTimeCompare(d, ref.DigestValue) != 1 {
			return nil, fmt.Errorf("xmldsig: verify: reference %q: %w", ref.URI, ErrDigestMismatch)
		}
		out.References = append(out.References, VerifiedReference{Reference: ref, Element: el, RefElement: s.RefElements[i]})
	}
	return out, nil
}

func refsEqual(a, b []Reference) bool {
	return slices.EqualFunc(a, b, func(x, y Reference) bool {
		return x.URI == y.URI && x.ID == y.ID && x.DigestMethod == y.DigestMethod &&
			slices.Equal(x.Transforms, y.Transforms) && slices.Equal(x.Prefixes, y.Prefixes) &&
			subtle.ConstantTimeCompare(x.DigestValue, y.DigestValue) == 1
	})
}

func verifyValue(m SignatureMethod, pub crypto.PublicKey, signed, value []byte, p Policy) error {
	switch m {
	case RSASHA256, RSASHA512, RSASHA1:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("xmldsig: verify: %w: %s with a %T key", ErrBadSignature, m, pub)
		}
		if bits := k.N.BitLen(); bits < p.MinRSABits || bits > p.MaxRSABits {
			return fmt.Errorf("xmldsig: verify: %w: RSA key of %d bits (allowed %d-%d)", ErrPolicy, bits, p.MinRSABits, p.MaxRSABits)
		}
		h := hashOf(m)
		d := h.New()
		d.Write(signed)
		if err := rsa.VerifyPKCS1v15(k, h, d.Sum(nil), value); err != nil {
			return fmt.Errorf("xmldsig: verify: %w: %w", ErrBadSignature, err)
		}
		return nil
	case ECDSASHA256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("xmldsig: verify: %w: %s with a %T key", ErrBadSignature, m, pub)
		}
		switch k.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
		default:
			return fmt.Errorf("xmldsig: verify: %w: ECDSA curve %s", ErrPolicy, k.Curve.Params().Name)
		}
		n := (k.Curve.Params().BitSize + 7) / 8
		// XMLDSig 1.1 §6.4.3: the value is r||s, each the size of the group order.
		if len(value) != 2*n {
			return fmt.Errorf("xmldsig: verify: %w: ecdsa value of %d bytes", ErrBadSignature, len(value))
		}
		r, s := new(big.Int).SetBytes(value[:n]), new(big.Int).SetBytes(value[n:])
		d := crypto.SHA256.New()
		d.Write(signed)
		if !ecdsa.Verify(k, d.Sum(nil), r, s) {
			return fmt.Errorf("xmldsig: verify: %w", ErrBadSignature)
		}
		return nil
	case Ed25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("xmldsig: verify: %w: %s with a %T key", ErrBadSignature, m, pub)
		}
		if len(k) != ed25519.PublicKeySize || !ed25519.Verify(k, signed, value) {
			return fmt.Errorf("xmldsig: verify: %w", ErrBadSignature)
		}
		return nil
	}
	return fmt.Errorf("xmldsig: verify: signature method %q: %w", m, ErrUnsupported)
}

// IDResolver resolves same-document references: "#id" through IDs (built
// with xmlsafe.IndexIDs, which refuses duplicate ids), and "" as the whole
// document containing Root (XMLDSig §4.4.3.3), normally with the
// enveloped-signature transform. Signature is the ds:Signature the
// enveloped-signature transform removes. Other URIs (cid:, http:,
// #xpointer(...)) fail with ErrUnsupported; unknown ids with ErrReference.
type IDResolver struct {
	Root      *etree.Element
	IDs       map[string]*etree.Element
	Signature *etree.Element
}

var _ Resolver = IDResolver{}

// Resolve implements Resolver.
func (r IDResolver) Resolve(ref Reference) ([]byte, *etree.Element, error) {
	var node, el *etree.Element
	switch {
	case ref.URI == "":
		if r.Root == nil {
			return nil, nil, fmt.Errorf("xmldsig: resolve \"\": %w: no document", ErrReference)
		}
		el, node = r.Root, r.Root
		if p := r.Root.Parent(); c14n.IsDocumentNode(p) {
			node = p // the document node: PIs and comments around the root count
		}
	case strings.HasPrefix(ref.URI, "#xpointer("):
		return nil, nil, fmt.Errorf("xmldsig: resolve %q: %w", ref.URI, ErrUnsupported)
	case strings.HasPrefix(ref.URI, "#"):
		id := ref.URI[1:]
		e, ok := r.IDs[id]
		if !ok || id == "" {
			return nil, nil, fmt.Errorf("xmldsig: resolve %q: %w: no element with this id", ref.URI, ErrReference)
		}
		el, node = e, e
	default:
		return nil, nil, fmt.Errorf("xmldsig: resolve %q: %w: not a same-document reference", ref.URI, ErrUnsupported)
	}
	if slices.Contains(ref.Transforms, EnvelopedSignature) && r.Signature == nil {
		return nil, nil, fmt.Errorf("xmldsig: resolve %q: %w: enveloped-signature transform without a Signature", ref.URI, ErrReference)
	}
	data, err := TransformElement(node, ref.Transforms, ref.Prefixes, r.Signature)
	if err != nil {
		return nil, nil, fmt.Errorf("xmldsig: resolve %q: %w", ref.URI, err)
	}
	return data, el, nil
}
