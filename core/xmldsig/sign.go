package xmldsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"

	"github.com/beevik/etree"
	"github.com/brevduva/brevduva/core/c14n"
)

// SignOptions configures Sign.
type SignOptions struct {
	Method  SignatureMethod
	C14N    c14n.Method    // of SignedInfo
	Prefix  string         // element prefix, default "ds"
	ID      string         // optional Id of ds:Signature
	KeyInfo *etree.Element // caller-built content of ds:KeyInfo (nil = none); a copy is inserted
	// C14NPrefixes is the InclusiveNamespaces PrefixList of an exclusive
	// CanonicalizationMethod (optional).
	C14NPrefixes []string
}

// Sign builds ds:Signature, inserts it as child number index of parent (-1 =
// last; index counts tokens in parent.Child, text and comments included, as
// etree's InsertChildAt does), canonicalises SignedInfo in place and signs it
// with key. refs must
// carry DigestValue (see DigestElement). On error parent is left as it was.
//
// Supported methods: RSASHA256, RSASHA512 (RSA keys), ECDSASHA256 (ECDSA
// keys; the value is r||s, RFC 4050 §3.3 / XMLDSig 1.1 §6.4.3) and Ed25519
// (RFC 9231 §2.3.7: Ed25519 over the canonical SignedInfo). RSASHA1 is
// refused for signing.
func Sign(parent *etree.Element, index int, key crypto.Signer, refs []Reference, opt SignOptions) (*etree.Element, error) {
	if len(refs) == 0 || len(refs) > MaxReferences {
		return nil, fmt.Errorf("xmldsig: sign: %w: %d references", ErrReference, len(refs))
	}
	if opt.Method == RSASHA1 {
		return nil, fmt.Errorf("xmldsig: sign: %w: rsa-sha1 is not used for new signatures", ErrPolicy)
	}
	if _, err := c14n.Canonicalize(opt.C14N, etree.NewElement("x"), nil, nil); err != nil {
		return nil, fmt.Errorf("xmldsig: sign: CanonicalizationMethod: %w", err)
	}
	p := opt.Prefix
	if p == "" {
		p = "ds"
	}
	q := func(local string) string { return p + ":" + local }
	sig := etree.NewElement(q("Signature"))
	sig.CreateAttr("xmlns:"+p, Namespace)
	if opt.ID != "" {
		sig.CreateAttr("Id", opt.ID)
	}
	si := sig.CreateElement(q("SignedInfo"))
	cm := si.CreateElement(q("CanonicalizationMethod"))
	cm.CreateAttr("Algorithm", string(opt.C14N))
	if len(opt.C14NPrefixes) > 0 && isExclusive(opt.C14N) {
		addInclusiveNamespaces(cm, opt.C14NPrefixes)
	}
	si.CreateElement(q("SignatureMethod")).CreateAttr("Algorithm", string(opt.Method))
	for _, r := range refs {
		if _, err := Digest(r.DigestMethod, nil); err != nil {
			return nil, fmt.Errorf("xmldsig: sign: reference %q: %w", r.URI, err)
		}
		if len(r.DigestValue) == 0 {
			return nil, fmt.Errorf("xmldsig: sign: reference %q: %w: no DigestValue", r.URI, ErrReference)
		}
		re := si.CreateElement(q("Reference"))
		if r.ID != "" {
			re.CreateAttr("Id", r.ID)
		}
		re.CreateAttr("URI", r.URI)
		if len(r.Transforms) > 0 {
			ts := re.CreateElement(q("Transforms"))
			for _, t := range r.Transforms {
				te := ts.CreateElement(q("Transform"))
				te.CreateAttr("Algorithm", string(t))
				if (t == TransformExcC14N || t == TransformExcC14NComments) && len(r.Prefixes) > 0 {
					addInclusiveNamespaces(te, r.Prefixes)
				}
			}
		}
		re.CreateElement(q("DigestMethod")).CreateAttr("Algorithm", string(r.DigestMethod))
		re.CreateElement(q("DigestValue")).SetText(base64.StdEncoding.EncodeToString(r.DigestValue))
	}
	sv := sig.CreateElement(q("SignatureValue"))
	if opt.KeyInfo != nil {
		sig.CreateElement(q("KeyInfo")).AddChild(opt.KeyInfo.Copy())
	}

	if index < 0 || index > len(parent.Child) {
		index = len(parent.Child)
	}
	parent.InsertChildAt(index, sig)
	value, err := signSignedInfo(si, key, opt)
	if err != nil {
		parent.RemoveChild(sig)
		return nil, err
	}
	sv.SetText(base64.StdEncoding.EncodeToString(value))
	return sig, nil
}

func addInclusiveNamespaces(el *etree.Element, prefixes []string) {
	in := el.CreateElement("ec:InclusiveNamespaces")
	in.CreateAttr("xmlns:ec", NamespaceExcC14N)
	in.CreateAttr("PrefixList", strings.Join(prefixes, " "))
}

func signSignedInfo(si *etree.Element, key crypto.Signer, opt SignOptions) ([]byte, error) {
	canon, err := c14n.Canonicalize(opt.C14N, si, nil, opt.C14NPrefixes)
	if err != nil {
		return nil, fmt.Errorf("xmldsig: sign: canonicalize SignedInfo: %w", err)
	}
	switch opt.Method {
	case RSASHA256, RSASHA512:
		if _, ok := key.Public().(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("xmldsig: sign: %w: %s needs an RSA key", ErrUnsupported, opt.Method)
		}
		h := hashOf(opt.Method)
		d := h.New()
		d.Write(canon)
		v, err := key.Sign(rand.Reader, d.Sum(nil), h)
		if err != nil {
			return nil, fmt.Errorf("xmldsig: sign: %w", err)
		}
		return v, nil
	case ECDSASHA256:
		pub, ok := key.Public().(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("xmldsig: sign: %w: %s needs an ECDSA key", ErrUnsupported, opt.Method)
		}
		d := crypto.SHA256.New()
		d.Write(canon)
		der, err := key.Sign(rand.Reader, d.Sum(nil), crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("xmldsig: sign: %w", err)
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("xmldsig: sign: ecdsa signature encoding: %w", err)
		}
		n := (pub.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*n)
		rs.R.FillBytes(out[:n])
		rs.S.FillBytes(out[n:])
		return out, nil
	case Ed25519:
		if _, ok := key.Public().(ed25519.PublicKey); !ok {
			return nil, fmt.Errorf("xmldsig: sign: %w: %s needs an Ed25519 key", ErrUnsupported, opt.Method)
		}
		v, err := key.Sign(rand.Reader, canon, crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("xmldsig: sign: %w", err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("xmldsig: sign: method %q: %w", opt.Method, ErrUnsupported)
}

func hashOf(m SignatureMethod) crypto.Hash {
	switch m {
	case RSASHA512:
		return crypto.SHA512
	case RSASHA1:
		return crypto.SHA1
	}
	return crypto.SHA256
}
