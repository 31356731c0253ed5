package smp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// Signer signs SignedServiceMetadata as SMP1 §3.6.2 requires: an enveloped
// ds:Signature, last child of SignedServiceMetadata, one Reference URI="" with the
// enveloped-signature transform, Canonical XML 1.0 for SignedInfo, SHA-256, and the
// signing certificate (then the rest of Chain) in ds:KeyInfo/ds:X509Data
// (spec-facts §f). The key is any crypto.Signer (RSA: rsa-sha256; ECDSA: ecdsa-sha256;
// Ed25519: eddsa-ed25519).
type Signer struct {
	Key   crypto.Signer
	Chain []*x509.Certificate // leaf first
}

// Sign builds the SignedServiceMetadata document for sm and signs it.
func (s Signer) Sign(sm *ServiceMetadata) ([]byte, error) {
	if s.Key == nil || len(s.Chain) == 0 {
		return nil, fmt.Errorf("%w: signer needs a key and its certificate", ErrInvalid)
	}
	var method xmldsig.SignatureMethod
	switch s.Key.Public().(type) {
	case *rsa.PublicKey:
		method = xmldsig.RSASHA256
	case *ecdsa.PublicKey:
		method = xmldsig.ECDSASHA256
	case ed25519.PublicKey:
		method = xmldsig.Ed25519
	default:
		return nil, fmt.Errorf("%w: unsupported signing key %T", ErrInvalid, s.Key.Public())
	}
	doc, err := sm.Document()
	if err != nil {
		return nil, err
	}
	transforms := []xmldsig.Transform{xmldsig.EnvelopedSignature}
	// Before the signature exists, the enveloped-signature transform removes nothing:
	// digest the document by Canonical XML 1.0 (XMLDSig §4.4.3.2), which is what a
	// verifier computes after removing the signature.
	dv, err := xmldsig.DigestElement(&doc.Element, nil, nil, xmldsig.SHA256, nil)
	if err != nil {
		return nil, fmt.Errorf("smp: sign: digest: %w", err)
	}
	x509Data := etree.NewElement("ds:X509Data")
	for _, c := range s.Chain {
		x509Data.CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Raw))
	}
	ref := xmldsig.Reference{URI: "", Transforms: transforms, DigestMethod: xmldsig.SHA256, DigestValue: dv}
	if _, err := xmldsig.Sign(doc.Root(), -1, s.Key, []xmldsig.Reference{ref},
		xmldsig.SignOptions{Method: method, C14N: c14n.C14N10, KeyInfo: x509Data}); err != nil {
		return nil, fmt.Errorf("smp: sign: %w", err)
	}
	doc.WriteSettings.CanonicalEndTags = true
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("smp: sign: serialise: %w", err)
	}
	return b, nil
}

// VerifyOptions configure VerifySigned.
type VerifyOptions struct {
	// Roots are the SMP CAs of the environment ("Rot CA eDelivery SMP-*", spec-facts §j).
	// Required: a signature is only as good as the trust in its certificate.
	Roots *x509.CertPool
	// Intermediates are extra CA certificates; ds:KeyInfo's other certificates are added.
	Intermediates *x509.CertPool
	// Now is the clock for certificate validity. Required.
	Now func() time.Time
	// Legacy accepts what the PEPPOL SMP 1.x responses use and SMP1 does not: rsa-sha1,
	// SHA-1 digests, exclusive c14n for SignedInfo and RSA keys from 1024 bits. Only for
	// reading recorded PEPPOL samples; never for SDK.
	Legacy bool
}

// Policy returns the xmldsig policy: SMP1 §3.6.2 names Canonical XML 1.0; SHA-1 only
// with Legacy.
func (o VerifyOptions) Policy() xmldsig.Policy {
	p := xmldsig.Policy{
		Methods: []xmldsig.SignatureMethod{xmldsig.RSASHA256, xmldsig.RSASHA512, xmldsig.ECDSASHA256, xmldsig.Ed25519},
		Digests: []xmldsig.DigestMethod{xmldsig.SHA256, xmldsig.SHA512},
		C14N:    []c14n.Method{c14n.C14N10},
	}
	if o.Legacy {
		p.Methods = append(p.Methods, xmldsig.RSASHA1)
		p.Digests = append(p.Digests, xmldsig.SHA1)
		p.C14N = append(p.C14N, c14n.ExcC14N)
		p.MinRSABits = 1024
	}
	return p
}

// SignedMetadata is a verified SignedServiceMetadata: the metadata read from the
// verified element only, and the certificate that signed it.
type SignedMetadata struct {
	Metadata *ServiceMetadata
	Signer   *x509.Certificate
}

// VerifySigned checks a SignedServiceMetadata document (OASIS, or PEPPOL with Legacy)
// and returns what it signs. SMP1 §3.6.2: exactly one ds:Signature, a child of
// SignedServiceMetadata, whose only Reference is URI="" with the enveloped-signature
// transform (optionally followed by a c14n method); the signing certificate must chain
// to opt.Roots at opt.Now. Every failure of signature or trust wraps ErrBadSignature.
func VerifySigned(b []byte, opt VerifyOptions) (*SignedMetadata, error) {
	if opt.Roots == nil || opt.Now == nil {
		return nil, fmt.Errorf("%w: verify needs Roots and Now", ErrInvalid)
	}
	root, err := parseDoc(b)
	if err != nil {
		return nil, err
	}
	n, err := namesOf(root)
	if err != nil {
		return nil, err
	}
	if root.Tag != "SignedServiceMetadata" {
		return nil, fmt.Errorf("%w: root is %s, want SignedServiceMetadata", ErrSyntax, root.Tag)
	}
	if n.flavour == Peppol && !opt.Legacy {
		return nil, fmt.Errorf("%w: PEPPOL SMP document needs the legacy option", ErrBadSignature)
	}
	sigs := xmlsafe.Children(root, xmldsig.Namespace, "Signature")
	if len(sigs) != 1 {
		return nil, fmt.Errorf("%w: %d ds:Signature children, want 1", ErrBadSignature, len(sigs))
	}
	sig, err := xmldsig.ParseSignature(sigs[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if err := checkReferences(sig.References, opt.Legacy); err != nil {
		return nil, err
	}
	certs, err := xmldsig.KeyInfoCertificates(sig.KeyInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	signer := certs[0]
	inter := x509.NewCertPool()
	if opt.Intermediates != nil {
		inter = opt.Intermediates.Clone()
	}
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := signer.Verify(x509.VerifyOptions{
		Roots: opt.Roots, Intermediates: inter, CurrentTime: opt.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, fmt.Errorf("%w: signer %q: %w", ErrBadSignature, signer.Subject.String(), err)
	}
	v, err := sig.Verify(signer.PublicKey, xmldsig.IDResolver{Root: root, Signature: sigs[0]}, opt.Policy())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if len(v.References) != 1 || v.References[0].Element != root {
		return nil, fmt.Errorf("%w: the verified reference is not the document", ErrBadSignature)
	}
	smEl, err := xmlsafe.Child(v.References[0].Element, n.smp, "ServiceMetadata")
	if err != nil {
		return nil, fmt.Errorf("%w: ServiceMetadata: %w", ErrSyntax, err)
	}
	sm, err := ServiceMetadataFromElement(smEl)
	if err != nil {
		return nil, err
	}
	return &SignedMetadata{Metadata: sm, Signer: signer}, nil
}

func checkReferences(refs []xmldsig.Reference, legacy bool) error {
	if len(refs) != 1 || refs[0].URI != "" {
		return fmt.Errorf("%w: want exactly one Reference with URI=\"\" (SMP1 §3.6.2)", ErrBadSignature)
	}
	tr := refs[0].Transforms
	if len(tr) == 0 || tr[0] != xmldsig.EnvelopedSignature {
		return fmt.Errorf("%w: Reference lacks the enveloped-signature transform", ErrBadSignature)
	}
	switch {
	case len(tr) == 1:
	case len(tr) == 2 && (tr[1] == xmldsig.TransformC14N10 || legacy && tr[1] == xmldsig.TransformExcC14N):
	default:
		return fmt.Errorf("%w: Reference transforms %v not allowed", ErrBadSignature, tr)
	}
	return nil
}
