package xmlenc

// Namespace is the XML Encryption 1.0 namespace (xenc).
const Namespace = "http://www.w3.org/2001/04/xmlenc#"

// Namespace11 is the XML Encryption 1.1 namespace (xenc11).
const Namespace11 = "http://www.w3.org/2009/xmlenc11#"

// NamespaceDSig is the XML Signature namespace (ds), home of ds:KeyInfo and ds:DigestMethod.
const NamespaceDSig = "http://www.w3.org/2000/09/xmldsig#"

// NamespaceDSig11 is the XML Signature 1.1 namespace (dsig11), home of DEREncodedKeyValue.
const NamespaceDSig11 = "http://www.w3.org/2009/xmldsig11#"

// NamespaceDSigMore is the RFC 9231 namespace (dsig-more), home of HKDFParams (RFC 9231 §2.8.2).
const NamespaceDSigMore = "http://www.w3.org/2021/04/xmldsig-more#"

// Algorithm is an XML Encryption algorithm URI, copied verbatim from its specification.
type Algorithm string

// Block encryption (XML Encryption 1.1 §5.2).
const (
	AES128GCM Algorithm = "http://www.w3.org/2009/xmlenc11#aes128-gcm"  // §5.2.4; AS4 1.15 and 2.0
	AES256GCM Algorithm = "http://www.w3.org/2009/xmlenc11#aes256-gcm"  // §5.2.4
	AES128CBC Algorithm = "http://www.w3.org/2001/04/xmlenc#aes128-cbc" // §5.2.2
	AES256CBC Algorithm = "http://www.w3.org/2001/04/xmlenc#aes256-cbc" // §5.2.2; O2O content encryption
)

// Key transport (§5.5), its mask generation functions (§5.5.2) and key wrap (§5.6).
const (
	RSAOAEPMGF1P Algorithm = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" // §5.5.2, MGF1 with SHA-1
	RSAOAEP      Algorithm = "http://www.w3.org/2009/xmlenc11#rsa-oaep"        // §5.5.2, explicit MGF
	MGF1SHA1     Algorithm = "http://www.w3.org/2009/xmlenc11#mgf1sha1"
	MGF1SHA256   Algorithm = "http://www.w3.org/2009/xmlenc11#mgf1sha256"
	MGF1SHA384   Algorithm = "http://www.w3.org/2009/xmlenc11#mgf1sha384"
	MGF1SHA512   Algorithm = "http://www.w3.org/2009/xmlenc11#mgf1sha512"
	KWAES128     Algorithm = "http://www.w3.org/2001/04/xmlenc#kw-aes128" // §5.6.3, RFC 3394
	KWAES256     Algorithm = "http://www.w3.org/2001/04/xmlenc#kw-aes256"
)

// Key agreement and derivation (§5.4, RFC 9231 §2.6–2.7; eDelivery AS4 2.0).
const (
	X25519     Algorithm = "http://www.w3.org/2021/04/xmldsig-more#x25519"
	ECDHES     Algorithm = "http://www.w3.org/2009/xmlenc11#ECDH-ES"
	HKDF       Algorithm = "http://www.w3.org/2021/04/xmldsig-more#hkdf"
	ConcatKDF  Algorithm = "http://www.w3.org/2009/xmlenc11#ConcatKDF"
	HMACSHA256 Algorithm = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256" // HKDF PRF
)

// EncryptedData Type values (§3.5.1).
const (
	TypeElement Algorithm = "http://www.w3.org/2001/04/xmlenc#Element"
	TypeContent Algorithm = "http://www.w3.org/2001/04/xmlenc#Content"
)
