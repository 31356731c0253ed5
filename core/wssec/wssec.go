// Package wssec implements the parts of OASIS Web Services Security that
// eDelivery AS4 uses: the wsse:Security header of WS-Security SOAP Message
// Security 1.1.1 (§5–§8, §10 Timestamp), the X.509 Certificate Token Profile
// 1.1.1 (BinarySecurityToken X509v3, SecurityTokenReference by direct reference,
// Subject Key Identifier, issuer and serial), and the SOAP Messages with
// Attachments (SwA) Profile 1.1.1 (its "Attachment Signature" and "Attachment
// Encryption" sections: the transforms and the EncryptedData Type URIs).
//
// It knows no cryptography beyond hashing certificates: signatures and
// encryption are core/xmldsig and core/xmlenc; core/as4 puts them together.
//
// Unverified choices (spec-facts §k 8 and 9): a Timestamp is emitted only when
// the profile asks and accepted with or without; tokens are emitted as
// BinarySecurityToken and accepted as BST reference, SKI or IssuerSerial.
package wssec

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// Namespaces (WS-Security 1.1.1 §4, SwA 1.1.1 §3.1).
const (
	NSWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	NSWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	NSWSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
	nsDS     = "http://www.w3.org/2000/09/xmldsig#"
	nsXENC   = "http://www.w3.org/2001/04/xmlenc#"
)

// URI is a WS-Security token, encoding or SwA URI, copied verbatim from its specification.
type URI string

const (
	// ValueTypeX509v3 is X.509 Token Profile 1.1.1 §3.1 (BinarySecurityToken, wsse:Reference).
	ValueTypeX509v3 URI = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	// ValueTypeSKI is X.509 Token Profile 1.1.1 §3.2 (KeyIdentifier with the Subject Key Identifier).
	ValueTypeSKI URI = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier"
	// ValueTypeThumbprintSHA1 is SOAP Message Security 1.1.1 §7.3 (KeyIdentifier, SHA-1 of the certificate).
	ValueTypeThumbprintSHA1 URI = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1"
	// EncodingBase64Binary is SOAP Message Security 1.1.1 §6.2.
	EncodingBase64Binary URI = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
	// TokenTypeEncryptedKey is SOAP Message Security 1.1.1 §7.1 (wsse11:TokenType of a reference to an EncryptedKey).
	TokenTypeEncryptedKey URI = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey"

	// AttachmentContentSignatureTransform is SwA 1.1.1 (Attachment Signature): the digest input is the
	// attachment's content after MIME transfer decoding and MIME content
	// canonicalization, without any MIME header.
	AttachmentContentSignatureTransform URI = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform"
	// AttachmentCompleteSignatureTransform is SwA 1.1.1 (Attachment Signature): the selected MIME headers
	// are included too. Not used by AS4 and refused on receipt.
	AttachmentCompleteSignatureTransform URI = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Complete-Signature-Transform"
	// AttachmentCiphertextTransform is SwA 1.1.1 (Attachment Encryption): the CipherReference
	// resolves to the attachment's content octets, which are the cipher value.
	AttachmentCiphertextTransform URI = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Ciphertext-Transform"
	// AttachmentContentOnly is SwA 1.1.1 (Attachment Encryption; EncryptedData Type): only the content is
	// encrypted; the MIME headers stay and the original type moves to MimeType.
	AttachmentContentOnly URI = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Only"
	// AttachmentComplete is SwA 1.1.1 (Attachment Encryption; EncryptedData Type, headers encrypted too); refused.
	AttachmentComplete URI = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Complete"
)

// Sentinels; errors of this package wrap one of them.
var (
	// ErrHeader: the wsse:Security header is missing, repeated or malformed.
	ErrHeader = errors.New("wssec: bad security header")
	// ErrToken: a SecurityTokenReference cannot be resolved to a certificate.
	ErrToken = errors.New("wssec: security token not resolved")
	// ErrTimestamp: the wsu:Timestamp is malformed, not yet valid or expired.
	ErrTimestamp = errors.New("wssec: timestamp")
	// ErrUnsupported: a token type, transform or form this package does not accept.
	ErrUnsupported = errors.New("wssec: unsupported")
)

// Limits on a parsed header (denial of service by token or element count).
const (
	MaxTokens        = 16
	MaxEncryptedKeys = 16
	MaxEncryptedData = 256
)

// idAttrs are the id attributes AS4 messages use: wsu:Id (SOAP Message
// Security §4), the unqualified Id of ds and xenc elements, and xml:id. They
// are indexed together so that a value used twice in any of them is refused.
var idAttrs = []xmlsafe.AttrName{{Space: NSWSU, Local: "Id"}, {Local: "Id"}, {Space: xmlsafe.XMLNamespace, Local: "id"}}

// IDAttrs returns the id attributes AS4 messages use (wsu:Id, Id, xml:id), to
// index with xmlsafe.IndexIDs.
func IDAttrs() []xmlsafe.AttrName { return append([]xmlsafe.AttrName(nil), idAttrs...) }

// IndexIDs indexes every id in root (see IDAttrs); duplicates fail with xmlsafe.ErrDuplicateID.
func IndexIDs(root *etree.Element) (map[string]*etree.Element, error) {
	ids, err := xmlsafe.IndexIDs(root, idAttrs...)
	if err != nil {
		return nil, fmt.Errorf("wssec: %w", err)
	}
	return ids, nil
}

// SetWSUID sets wsu:Id on el, declaring the wsu prefix on el when it is not in scope.
func SetWSUID(el *etree.Element, id string) {
	if uri, ok := xmlsafe.LookupPrefix(el, "wsu"); !ok || uri != NSWSU {
		el.CreateAttr("xmlns:wsu", NSWSU)
	}
	el.CreateAttr("wsu:Id", id)
}

// WSUID returns el's wsu:Id, resolved by namespace URI.
func WSUID(el *etree.Element) (string, bool) { return xmlsafe.Attr(el, NSWSU, "Id") }

// NewSecurity returns an empty wsse:Security header block with
// soapPrefix:mustUnderstand="true", for an envelope that binds soapPrefix to
// its SOAP namespace (SOAP Message Security 1.1.1 §5; AS4 senders set it).
// The wsse and wsu prefixes are declared on it.
func NewSecurity(soapPrefix string) *etree.Element {
	s := etree.NewElement("wsse:Security")
	s.CreateAttr("xmlns:wsse", NSWSSE)
	s.CreateAttr("xmlns:wsu", NSWSU)
	s.CreateAttr(soapPrefix+":mustUnderstand", "true")
	return s
}

// NewBinarySecurityToken returns a wsse:BinarySecurityToken holding cert
// (X.509 Token Profile §3.1), for a parent that binds wsse and wsu.
func NewBinarySecurityToken(id string, cert *x509.Certificate) *etree.Element {
	b := etree.NewElement("wsse:BinarySecurityToken")
	b.CreateAttr("EncodingType", string(EncodingBase64Binary))
	b.CreateAttr("ValueType", string(ValueTypeX509v3))
	b.CreateAttr("wsu:Id", id)
	b.SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	return b
}

// NewReferenceSTR returns a wsse:SecurityTokenReference pointing at the
// BinarySecurityToken with wsu:Id bstID (X.509 Token Profile §3.2, direct reference).
func NewReferenceSTR(bstID string) *etree.Element {
	str := etree.NewElement("wsse:SecurityTokenReference")
	r := str.CreateElement("wsse:Reference")
	r.CreateAttr("URI", "#"+bstID)
	r.CreateAttr("ValueType", string(ValueTypeX509v3))
	return str
}

// NewEncryptedKeySTR returns a wsse:SecurityTokenReference to the xenc:EncryptedKey
// with Id ekID (SOAP Message Security 1.1.1 §7.1; as phase4 and WSS4J write it).
func NewEncryptedKeySTR(ekID string) *etree.Element {
	str := etree.NewElement("wsse:SecurityTokenReference")
	str.CreateAttr("xmlns:wsse", NSWSSE)
	str.CreateAttr("xmlns:wsse11", NSWSSE11)
	str.CreateAttr("wsse11:TokenType", string(TokenTypeEncryptedKey))
	r := str.CreateElement("wsse:Reference")
	r.CreateAttr("URI", "#"+ekID)
	return str
}

// NewSKISTR returns a wsse:SecurityTokenReference by Subject Key Identifier (X.509 Token Profile §3.2).
func NewSKISTR(cert *x509.Certificate) *etree.Element {
	str := etree.NewElement("wsse:SecurityTokenReference")
	k := str.CreateElement("wsse:KeyIdentifier")
	k.CreateAttr("EncodingType", string(EncodingBase64Binary))
	k.CreateAttr("ValueType", string(ValueTypeSKI))
	k.SetText(base64.StdEncoding.EncodeToString(SubjectKeyID(cert)))
	return str
}

// NewIssuerSerialSTR returns a wsse:SecurityTokenReference by issuer and serial (X.509 Token Profile §3.2).
func NewIssuerSerialSTR(cert *x509.Certificate) *etree.Element {
	str := etree.NewElement("wsse:SecurityTokenReference")
	d := str.CreateElement("ds:X509Data")
	d.CreateAttr("xmlns:ds", nsDS)
	is := d.CreateElement("ds:X509IssuerSerial")
	is.CreateElement("ds:X509IssuerName").SetText(cert.Issuer.String())
	is.CreateElement("ds:X509SerialNumber").SetText(cert.SerialNumber.String())
	return str
}

// NewTimestamp returns a wsu:Timestamp (SOAP Message Security 1.1.1 §10) with
// Created = created and, when ttl > 0, Expires = created + ttl, both UTC with
// milliseconds.
func NewTimestamp(id string, created time.Time, ttl time.Duration) *etree.Element {
	ts := etree.NewElement("wsu:Timestamp")
	ts.CreateAttr("wsu:Id", id)
	ts.CreateElement("wsu:Created").SetText(created.UTC().Format("2006-01-02T15:04:05.000Z"))
	if ttl > 0 {
		ts.CreateElement("wsu:Expires").SetText(created.Add(ttl).UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	return ts
}

// SubjectKeyID returns the certificate's Subject Key Identifier extension or,
// when absent, the SHA-1 of its subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1;
// X.509 Token Profile 1.1.1 §3.2.1 allows either for v3 certificates).
func SubjectKeyID(c *x509.Certificate) []byte {
	if len(c.SubjectKeyId) > 0 {
		return c.SubjectKeyId
	}
	var spki struct {
		Algorithm asn1.RawValue
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	h := sha1.Sum(spki.Key.Bytes)
	return h[:]
}

// Security is a parsed wsse:Security header block.
type Security struct {
	Element       *etree.Element
	Tokens        []*BinarySecurityToken
	Timestamp     *Timestamp       // nil when absent
	Signature     *etree.Element   // the ds:Signature, nil when absent
	EncryptedKeys []*etree.Element // xenc:EncryptedKey children
	EncryptedData []*etree.Element // xenc:EncryptedData children (attachment encryption)
}

// BinarySecurityToken is one wsse:BinarySecurityToken of type X509v3.
type BinarySecurityToken struct {
	ID      string
	Cert    *x509.Certificate
	Element *etree.Element
}

// Timestamp is a parsed wsu:Timestamp.
type Timestamp struct {
	ID      string
	Created time.Time
	Expires time.Time // zero when absent
	Element *etree.Element
}

// Check reports ErrTimestamp when now (with skew either way) is before Created
// or at or after Expires (SOAP Message Security 1.1.1 §10).
func (t *Timestamp) Check(now time.Time, skew time.Duration) error {
	if t.Created.After(now.Add(skew)) {
		return fmt.Errorf("wssec: created %s is in the future: %w", t.Created.Format(time.RFC3339), ErrTimestamp)
	}
	if !t.Expires.IsZero() && !now.Add(-skew).Before(t.Expires) {
		return fmt.Errorf("wssec: expired at %s: %w", t.Expires.Format(time.RFC3339), ErrTimestamp)
	}
	return nil
}

// FindSecurity returns the one wsse:Security block among header's children
// that is targeted at this node: no role/actor attribute, or the ultimate
// receiver or next role (SOAP 1.2 §2.2; WS-Security §5 allows one per role).
// soapNS is the envelope's namespace.
func FindSecurity(header *etree.Element, soapNS string) (*etree.Element, error) {
	if header == nil {
		return nil, fmt.Errorf("wssec: no SOAP header: %w", ErrHeader)
	}
	var found *etree.Element
	for _, c := range xmlsafe.Children(header, NSWSSE, "Security") {
		role, ok := xmlsafe.Attr(c, soapNS, "role")
		if !ok {
			role, ok = xmlsafe.Attr(c, soapNS, "actor")
		}
		if ok && role != "" && role != "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver" &&
			role != "http://www.w3.org/2003/05/soap-envelope/role/next" && role != "http://schemas.xmlsoap.org/soap/actor/next" {
			continue // targeted at another role: not ours to process
		}
		if found != nil {
			return nil, fmt.Errorf("wssec: two wsse:Security headers for this node (SOAP Message Security §5): %w", ErrHeader)
		}
		found = c
	}
	if found == nil {
		return nil, fmt.Errorf("wssec: no wsse:Security header: %w", ErrHeader)
	}
	return found, nil
}

// ParseSecurity reads a wsse:Security element. Unknown children are ignored
// (SOAP Message Security §5 allows extensions); at most one ds:Signature and one
// Timestamp are accepted.
func ParseSecurity(el *etree.Element) (*Security, error) {
	if !xmlsafe.Is(el, NSWSSE, "Security") {
		return nil, fmt.Errorf("wssec: <%s> is not wsse:Security: %w", el.FullTag(), ErrHeader)
	}
	s := &Security{Element: el}
	for _, c := range el.ChildElements() {
		switch {
		case xmlsafe.Is(c, NSWSSE, "BinarySecurityToken"):
			if len(s.Tokens) == MaxTokens {
				return nil, fmt.Errorf("wssec: more than %d tokens: %w", MaxTokens, ErrHeader)
			}
			t, err := parseBST(c)
			if err != nil {
				return nil, err
			}
			s.Tokens = append(s.Tokens, t)
		case xmlsafe.Is(c, NSWSU, "Timestamp"):
			if s.Timestamp != nil {
				return nil, fmt.Errorf("wssec: two wsu:Timestamp (SOAP Message Security §10): %w", ErrHeader)
			}
			t, err := parseTimestamp(c)
			if err != nil {
				return nil, err
			}
			s.Timestamp = t
		case xmlsafe.Is(c, nsDS, "Signature"):
			if s.Signature != nil {
				return nil, fmt.Errorf("wssec: two ds:Signature: %w", ErrUnsupported)
			}
			s.Signature = c
		case xmlsafe.Is(c, nsXENC, "EncryptedKey"):
			if len(s.EncryptedKeys) == MaxEncryptedKeys {
				return nil, fmt.Errorf("wssec: more than %d EncryptedKey: %w", MaxEncryptedKeys, ErrHeader)
			}
			s.EncryptedKeys = append(s.EncryptedKeys, c)
		case xmlsafe.Is(c, nsXENC, "EncryptedData"):
			if len(s.EncryptedData) == MaxEncryptedData {
				return nil, fmt.Errorf("wssec: more than %d EncryptedData: %w", MaxEncryptedData, ErrHeader)
			}
			s.EncryptedData = append(s.EncryptedData, c)
		}
	}
	return s, nil
}

func parseBST(el *etree.Element) (*BinarySecurityToken, error) {
	vt, _ := xmlsafe.Attr(el, "", "ValueType")
	if URI(vt) != ValueTypeX509v3 {
		return nil, fmt.Errorf("wssec: BinarySecurityToken ValueType %q (X.509 Token Profile §3.1): %w", vt, ErrUnsupported)
	}
	if et, ok := xmlsafe.Attr(el, "", "EncodingType"); ok && URI(et) != EncodingBase64Binary {
		return nil, fmt.Errorf("wssec: BinarySecurityToken EncodingType %q: %w", et, ErrUnsupported)
	}
	der, err := decodeB64(el.Text())
	if err != nil {
		return nil, fmt.Errorf("wssec: BinarySecurityToken: %v: %w", err, ErrHeader)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("wssec: BinarySecurityToken certificate: %v: %w", err, ErrHeader)
	}
	id, _ := WSUID(el)
	return &BinarySecurityToken{ID: id, Cert: cert, Element: el}, nil
}

func parseTimestamp(el *etree.Element) (*Timestamp, error) {
	t := &Timestamp{Element: el}
	t.ID, _ = WSUID(el)
	c, err := xmlsafe.Child(el, NSWSU, "Created")
	if err != nil {
		return nil, fmt.Errorf("wssec: Timestamp: %v: %w", err, ErrTimestamp)
	}
	if t.Created, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(c.Text())); err != nil {
		return nil, fmt.Errorf("wssec: Timestamp Created: %v: %w", err, ErrTimestamp)
	}
	switch es := xmlsafe.Children(el, NSWSU, "Expires"); len(es) {
	case 0:
	case 1:
		if t.Expires, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(es[0].Text())); err != nil {
			return nil, fmt.Errorf("wssec: Timestamp Expires: %v: %w", err, ErrTimestamp)
		}
	default:
		return nil, fmt.Errorf("wssec: Timestamp with %d Expires: %w", len(es), ErrTimestamp)
	}
	return t, nil
}

// Token returns the BinarySecurityToken with wsu:Id id.
func (s *Security) Token(id string) (*BinarySecurityToken, bool) {
	for _, t := range s.Tokens {
		if t.ID == id {
			return t, true
		}
	}
	return nil, false
}

// ResolveSTR returns the certificate a wsse:SecurityTokenReference (or a
// ds:KeyInfo or xenc:RecipientKeyInfo holding one) identifies, in the three forms of the X.509 Token
// Profile 1.1.1 §3.2: a direct wsse:Reference to a BinarySecurityToken of s,
// a wsse:KeyIdentifier (Subject Key Identifier or SHA-1 thumbprint) and a
// ds:X509Data/ds:X509IssuerSerial. The last two name a certificate the
// message does not carry, so they match only among known (for example our
// own certificate, or the peer's from SMP) and s's tokens.
func (s *Security) ResolveSTR(el *etree.Element, known []*x509.Certificate) (*x509.Certificate, error) {
	if xmlsafe.Is(el, nsDS, "KeyInfo") || xmlsafe.Is(el, nsXENC, "RecipientKeyInfo") {
		strs := xmlsafe.Children(el, NSWSSE, "SecurityTokenReference")
		if len(strs) != 1 {
			return nil, fmt.Errorf("wssec: <%s> holds %d SecurityTokenReference: %w", el.FullTag(), len(strs), ErrToken)
		}
		el = strs[0]
	}
	if !xmlsafe.Is(el, NSWSSE, "SecurityTokenReference") {
		return nil, fmt.Errorf("wssec: <%s> is not a SecurityTokenReference: %w", el.FullTag(), ErrToken)
	}
	kids := el.ChildElements()
	if len(kids) != 1 {
		return nil, fmt.Errorf("wssec: SecurityTokenReference with %d children: %w", len(kids), ErrToken)
	}
	c := kids[0]
	var all []*x509.Certificate
	for _, t := range s.Tokens {
		all = append(all, t.Cert)
	}
	all = append(all, known...)
	switch {
	case xmlsafe.Is(c, NSWSSE, "Reference"):
		uri, _ := xmlsafe.Attr(c, "", "URI")
		if !strings.HasPrefix(uri, "#") {
			return nil, fmt.Errorf("wssec: token reference %q is not a same-document reference: %w", uri, ErrUnsupported)
		}
		if vt, ok := xmlsafe.Attr(c, "", "ValueType"); ok && URI(vt) != ValueTypeX509v3 {
			return nil, fmt.Errorf("wssec: token reference ValueType %q: %w", vt, ErrUnsupported)
		}
		t, ok := s.Token(uri[1:])
		if !ok {
			return nil, fmt.Errorf("wssec: no BinarySecurityToken %q in this header: %w", uri, ErrToken)
		}
		return t.Cert, nil
	case xmlsafe.Is(c, NSWSSE, "KeyIdentifier"):
		vt, _ := xmlsafe.Attr(c, "", "ValueType")
		if et, ok := xmlsafe.Attr(c, "", "EncodingType"); ok && URI(et) != EncodingBase64Binary {
			return nil, fmt.Errorf("wssec: KeyIdentifier EncodingType %q: %w", et, ErrUnsupported)
		}
		want, err := decodeB64(c.Text())
		if err != nil {
			return nil, fmt.Errorf("wssec: KeyIdentifier: %v: %w", err, ErrToken)
		}
		var match func(*x509.Certificate) bool
		switch URI(vt) {
		case ValueTypeSKI:
			match = func(x *x509.Certificate) bool { return string(SubjectKeyID(x)) == string(want) }
		case ValueTypeThumbprintSHA1:
			match = func(x *x509.Certificate) bool { h := sha1.Sum(x.Raw); return string(h[:]) == string(want) }
		default:
			return nil, fmt.Errorf("wssec: KeyIdentifier ValueType %q: %w", vt, ErrUnsupported)
		}
		for _, x := range all {
			if match(x) {
				return x, nil
			}
		}
		return nil, fmt.Errorf("wssec: no known certificate has key identifier %x: %w", want, ErrToken)
	case xmlsafe.Is(c, nsDS, "X509Data"):
		is, err := xmlsafe.Child(c, nsDS, "X509IssuerSerial")
		if err != nil {
			return nil, fmt.Errorf("wssec: X509Data: %v: %w", err, ErrUnsupported)
		}
		nameEl, err1 := xmlsafe.Child(is, nsDS, "X509IssuerName")
		serEl, err2 := xmlsafe.Child(is, nsDS, "X509SerialNumber")
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("wssec: X509IssuerSerial: %v: %w", err, ErrToken)
		}
		serial, ok := new(big.Int).SetString(strings.TrimSpace(serEl.Text()), 10)
		if !ok {
			return nil, fmt.Errorf("wssec: X509SerialNumber %q: %w", serEl.Text(), ErrToken)
		}
		name := normDN(nameEl.Text())
		for _, x := range all {
			if x.SerialNumber.Cmp(serial) == 0 && normDN(x.Issuer.String()) == name {
				return x, nil
			}
		}
		return nil, fmt.Errorf("wssec: no known certificate issued by %q with serial %s: %w", nameEl.Text(), serial, ErrToken)
	}
	return nil, fmt.Errorf("wssec: SecurityTokenReference form <%s>: %w", c.FullTag(), ErrUnsupported)
}

// normDN normalises an RFC 4514 distinguished name string enough to compare the
// forms Java and Go print: attribute types upper-cased (EMAILADDRESS = E),
// spaces around separators removed, RDN order as given.
func normDN(s string) string {
	var out []string
	for _, rdn := range splitDN(s) {
		k, v, ok := strings.Cut(rdn, "=")
		if !ok {
			out = append(out, strings.TrimSpace(rdn))
			continue
		}
		k = strings.ToUpper(strings.TrimSpace(k))
		switch k {
		case "EMAILADDRESS", "1.2.840.113549.1.9.1":
			k = "E"
		case "S":
			k = "ST"
		case "2.5.4.97":
			k = "ORGANIZATIONIDENTIFIER"
		}
		out = append(out, k+"="+strings.TrimSpace(v))
	}
	return strings.Join(out, ",")
}

// splitDN splits at commas not escaped by a backslash.
func splitDN(s string) []string {
	var parts []string
	var cur strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			cur.WriteRune(r)
			esc = true
		case r == ',' || r == ';':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(parts, cur.String())
}

func decodeB64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}
