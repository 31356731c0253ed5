package xmldsig

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"

	"github.com/beevik/etree"
	"github.com/brevduva/brevduva/core/c14n"
)

// Digest hashes data with m.
func Digest(m DigestMethod, data []byte) ([]byte, error) {
	switch m {
	case SHA256:
		h := sha256.Sum256(data)
		return h[:], nil
	case SHA512:
		h := sha512.Sum512(data)
		return h[:], nil
	case SHA1:
		h := sha1.Sum(data)
		return h[:], nil
	}
	return nil, fmt.Errorf("xmldsig: digest method %q: %w", m, ErrUnsupported)
}

// Hash returns the crypto.Hash of a digest method, or ErrUnsupported.
func Hash(m DigestMethod) (crypto.Hash, error) {
	switch m {
	case SHA256:
		return crypto.SHA256, nil
	case SHA512:
		return crypto.SHA512, nil
	case SHA1:
		return crypto.SHA1, nil
	}
	return 0, fmt.Errorf("xmldsig: digest method %q: %w", m, ErrUnsupported)
}

// DigestElement digests el after transforms (c14n and enveloped-signature;
// exclude = the Signature). See TransformElement.
func DigestElement(el *etree.Element, transforms []Transform, prefixes []string, m DigestMethod, exclude *etree.Element) ([]byte, error) {
	data, err := TransformElement(el, transforms, prefixes, exclude)
	if err != nil {
		return nil, err
	}
	return Digest(m, data)
}

// TransformElement applies a same-document Reference's transforms to el and
// returns the octets to digest. el is the element an "#id" URI selects, or
// the document node (&doc.Element) for URI "" (XMLDSig §4.4.3.3); neither
// node-set contains comments, so the #WithComments methods yield the same
// octets as their plain forms. Accepted transform chains are an optional
// enveloped-signature transform (XMLDSig §6.6.4; exclude is the Signature it
// removes; nil removes nothing, for digesting before signing) followed by at most one canonicalization method; without one, the
// node-set becomes octets by Canonical XML 1.0 (XMLDSig §4.4.3.2). Everything
// else is refused with ErrUnsupported: XPath, XPath Filter 2.0, XSLT, Base64
// decoding, and c14n 1.1.
func TransformElement(el *etree.Element, transforms []Transform, prefixes []string, exclude *etree.Element) ([]byte, error) {
	method, enveloped, err := transformChain(transforms)
	if err != nil {
		return nil, err
	}
	var ex *etree.Element
	if enveloped {
		ex = exclude // nil when digesting before the Signature is inserted
	}
	if !isExclusive(method) {
		prefixes = nil
	}
	out, err := c14n.Canonicalize(method, el, ex, prefixes)
	if err != nil {
		return nil, fmt.Errorf("xmldsig: transform: %w", err)
	}
	return out, nil
}

// transformChain checks a transform list and returns the canonicalization
// method that ends it.
func transformChain(ts []Transform) (c14n.Method, bool, error) {
	if len(ts) > MaxTransforms {
		return "", false, fmt.Errorf("xmldsig: %w: %d transforms", ErrUnsupported, len(ts))
	}
	method, enveloped := c14n.C14N10, false
	for i, t := range ts {
		switch t {
		case EnvelopedSignature:
			if enveloped || i != 0 {
				return "", false, fmt.Errorf("xmldsig: %w: enveloped-signature transform must come first, once", ErrUnsupported)
			}
			enveloped = true
		case TransformC14N10, TransformC14N10Comments:
			method = c14n.C14N10 // same-document node-sets hold no comments
		case TransformExcC14N, TransformExcC14NComments:
			method = c14n.ExcC14N
		default:
			return "", false, fmt.Errorf("xmldsig: transform %q: %w", t, ErrUnsupported)
		}
		if isC14N(t) && i != len(ts)-1 {
			return "", false, fmt.Errorf("xmldsig: %w: transform after canonicalization", ErrUnsupported)
		}
	}
	return method, enveloped, nil
}

func isC14N(t Transform) bool {
	switch t {
	case TransformC14N10, TransformC14N10Comments, TransformExcC14N, TransformExcC14NComments:
		return true
	}
	return false
}
