// Package xmldsig implements XML Signature Syntax and Processing (W3C XMLDSig 1.1):
// building and verifying ds:Signature with any number of References, for the
// WS-Security signatures of AS4, the enveloped O2O signature of DIGG's XHE and the
// signatures of SMP responses.
package xmldsig

// Namespace is the XML Signature namespace.
const Namespace = "http://www.w3.org/2000/09/xmldsig#"

// Namespace11 is the XML Signature 1.1 namespace (dsig11).
const Namespace11 = "http://www.w3.org/2009/xmldsig11#"

// SignatureMethod is a signature algorithm URI, copied verbatim from its specification.
type SignatureMethod string

const (
	// RSASHA256 is RFC 6931 §2.3.2; eDelivery AS4 1.15 and the O2O XHE signature.
	RSASHA256 SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	// RSASHA512 is RFC 6931 §2.3.2.
	RSASHA512 SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	// RSASHA1 is XMLDSig 1.0 §6.4.2; accepted only where a profile allows it (legacy PEPPOL SMP).
	RSASHA1 SignatureMethod = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	// ECDSASHA256 is RFC 6931 §2.3.6; the eDelivery AS4 2.0 EC alternative.
	ECDSASHA256 SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	// Ed25519 is RFC 9231 §2.3.7; eDelivery AS4 2.0.
	Ed25519 SignatureMethod = "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519"
)

// DigestMethod is a digest algorithm URI.
type DigestMethod string

const (
	// SHA256 is XML Encryption 1.0 §5.7.2; eDelivery AS4 and O2O.
	SHA256 DigestMethod = "http://www.w3.org/2001/04/xmlenc#sha256"
	// SHA512 is XML Encryption 1.0 §5.7.4.
	SHA512 DigestMethod = "http://www.w3.org/2001/04/xmlenc#sha512"
	// SHA1 is XMLDSig 1.0 §6.2.1; legacy, also the OAEP digest of the O2O layer.
	SHA1 DigestMethod = "http://www.w3.org/2000/09/xmldsig#sha1"
)

// Transform is a Reference transform URI.
type Transform string

const (
	// EnvelopedSignature is XMLDSig §6.6.4.
	EnvelopedSignature Transform = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	// TransformC14N10 and the following are the canonicalization methods used as transforms.
	TransformC14N10          Transform = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	TransformC14N10Comments  Transform = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	TransformExcC14N         Transform = "http://www.w3.org/2001/10/xml-exc-c14n#"
	TransformExcC14NComments Transform = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	// AttachmentContentSignature is WSS SwA Profile 1.1 §5.2 (Attachment-Content-Signature-Transform).
	AttachmentContentSignature Transform = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform"
	// AttachmentCompleteSignature is WSS SwA Profile 1.1 §5.3 (Attachment-Complete-Signature-Transform).
	AttachmentCompleteSignature Transform = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Complete-Signature-Transform"
)
