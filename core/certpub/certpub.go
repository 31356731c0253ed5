// Package certpub implements DIGG's CertPub, "Certifikatspublicering – REST-bindning
// till SMP" v1.1: an organisation's O2O signing and encryption certificates (the
// keys of the XHE signature and of payload encryption, spec-facts §a) published as an
// extension of the SMP SignedServiceMetadata (spec-facts §f).
//
// Only CertPub's introduction could be read, so the wire shape is UNVERIFIED
// (spec-facts §k 5): the extension id, namespace, element and attribute names and the
// certificate-type codes below are the single table to change when DIGG's document is
// obtained. The values follow go-as4's guess (⚠3P). The extension sits in
// ServiceInformation/Extension of every SignedServiceMetadata of the participant.
//
// The package knows only the extension's content element; core/smp places it.
package certpub

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// The CertPub table — every name here is unverified: spec-facts §k 5.
const (
	// ExtensionID is the SMP ExtensionID of a CertPub extension (§k 5).
	ExtensionID = "urn:fdc:digg.se:edelivery:certpub"
	// Namespace of the content element (§k 5).
	Namespace = "urn:fdc:digg.se:edelivery:certpub"
	// prefix used when building (any prefix is accepted on parse).
	prefix = "cp"
	// ElementCertificates is the content element holding the certificates (§k 5).
	ElementCertificates = "Certificates"
	// ElementCertificate holds one base64 DER certificate (§k 5).
	ElementCertificate = "Certificate"
	// AttrType names the certificate's use (§k 5).
	AttrType = "type"
)

// Use is a certificate-type code (§k 5).
type Use string

const (
	// Signing: the organisation signs XHE envelopes with this certificate (§k 5).
	Signing Use = "urn:fdc:digg.se:edelivery:certpub:signing-cert"
	// Encryption: senders encrypt payloads for the organisation with it (§k 5).
	Encryption Use = "urn:fdc:digg.se:edelivery:certpub:encryption-cert"
)

// MaxCertificates caps the certificates in one extension.
const MaxCertificates = 16

// ErrSyntax: the extension content is not a CertPub element as this package expects.
var ErrSyntax = errors.New("certpub: malformed extension")

// Certificate is one published O2O certificate.
type Certificate struct {
	Use  Use
	Cert *x509.Certificate
}

// Element returns the extension content for certs.
func Element(certs []Certificate) (*etree.Element, error) {
	if len(certs) == 0 || len(certs) > MaxCertificates {
		return nil, fmt.Errorf("certpub: %d certificates, want 1 to %d", len(certs), MaxCertificates)
	}
	root := etree.NewElement(prefix + ":" + ElementCertificates)
	root.CreateAttr("xmlns:"+prefix, Namespace)
	for _, c := range certs {
		if c.Use != Signing && c.Use != Encryption {
			return nil, fmt.Errorf("certpub: unknown use %q", c.Use)
		}
		if c.Cert == nil {
			return nil, fmt.Errorf("certpub: %s: no certificate", c.Use)
		}
		el := root.CreateElement(prefix + ":" + ElementCertificate)
		el.CreateAttr(AttrType, string(c.Use))
		el.SetText(base64.StdEncoding.EncodeToString(c.Cert.Raw))
	}
	return root, nil
}

// Is reports whether an SMP extension with ExtensionID id and content el is CertPub:
// either the id or the content's namespace says so.
func Is(id string, el *etree.Element) bool {
	return id == ExtensionID || el != nil && xmlsafe.Is(el, Namespace, ElementCertificates)
}

// Parse reads the extension content. Unknown uses and unparsable certificates fail
// (a sender must not pick a key it cannot classify).
func Parse(el *etree.Element) ([]Certificate, error) {
	if el == nil || !xmlsafe.Is(el, Namespace, ElementCertificates) {
		return nil, fmt.Errorf("%w: content is not {%s}%s", ErrSyntax, Namespace, ElementCertificates)
	}
	cs := xmlsafe.Children(el, Namespace, ElementCertificate)
	if len(cs) == 0 || len(cs) > MaxCertificates || len(cs) != len(el.ChildElements()) {
		return nil, fmt.Errorf("%w: want 1 to %d %s elements and nothing else", ErrSyntax, MaxCertificates, ElementCertificate)
	}
	var out []Certificate
	for _, c := range cs {
		use, _ := xmlsafe.Attr(c, "", AttrType)
		if Use(use) != Signing && Use(use) != Encryption {
			return nil, fmt.Errorf("%w: unknown certificate type %q", ErrSyntax, use)
		}
		var text strings.Builder
		for _, t := range c.Child {
			if cd, ok := t.(*etree.CharData); ok {
				text.WriteString(cd.Data)
			}
		}
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text.String()), ""))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, use, err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, use, err)
		}
		out = append(out, Certificate{Use: Use(use), Cert: cert})
	}
	return out, nil
}

// ByUse returns the first certificate with use u, or nil.
func ByUse(certs []Certificate, u Use) *x509.Certificate {
	for _, c := range certs {
		if c.Use == u {
			return c.Cert
		}
	}
	return nil
}
