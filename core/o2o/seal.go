package o2o

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/xhe"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// Sealer builds, encrypts and signs XHEs for one sending organisation.
type Sealer struct {
	Key     crypto.Signer     // the organisation's function certificate key
	Cert    *x509.Certificate // its certificate, carried in ds:KeyInfo
	Profile Profile
	Now     func() time.Time
}

// ErrFunctionAddress is wrapped when the function address given does not match the
// message's recipient attention/subOrganization.
var ErrFunctionAddress = errors.New("function address does not match the message")

// Seal wraps an SDK message (validated first) in an XHE for recipient: Header/ID =
// messageId, From/To = sender/recipient ids, HandlingServiceID = functionAddress (which
// must equal the recipient's attention function address), payload encrypted for
// recipient, then the whole XHE signed. It returns the serialised XHE.
func (s *Sealer) Seal(message []byte, recipient *x509.Certificate, functionAddress string) ([]byte, error) {
	if err := s.Profile.Validate(); err != nil {
		return nil, err
	}
	if s.Key == nil || s.Cert == nil || recipient == nil || s.Now == nil {
		return nil, errors.New("o2o: seal: key, certificate, recipient certificate and clock are required")
	}
	if len(message) > sdkmsg.MaxBytes {
		_, err := sdkmsg.Parse(message) // the BV/too-long rejection
		return nil, fmt.Errorf("o2o: seal: %w", err)
	}
	doc, err := xmlsafe.ParseBytes(bytes.TrimPrefix(message, utf8BOM), xmlsafe.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("o2o: seal: %w", err)
	}
	m, err := sdkmsg.ParseElement(doc.Root())
	if err != nil {
		return nil, fmt.Errorf("o2o: seal: %w", err)
	}
	if m.Recipient.Attention == nil || m.Recipient.Attention.FunctionAddress != functionAddress {
		return nil, fmt.Errorf("o2o: seal: %w: HandlingServiceID %q, recipient attention %q", ErrFunctionAddress, functionAddress, attentionOf(m))
	}
	plain, err := serialise(doc.Root())
	if err != nil {
		return nil, fmt.Errorf("o2o: seal: %w", err)
	}
	ed, err := s.encrypt(plain, recipient)
	if err != nil {
		return nil, fmt.Errorf("o2o: seal: encrypt: %w", err)
	}
	env := &xhe.Envelope{
		ID:                m.MessageID,
		CreationDateTime:  sdkmsg.FormatTime(s.Now()),
		Scope:             xhe.Scope(xhe.DocIDMessage, s.Profile.Federation),
		From:              m.Sender.ID,
		To:                m.Recipient.ID,
		DocumentTypeCode:  xhe.DocTypeMessage,
		ContentTypeCode:   xhe.ContentTypeXML,
		HandlingServiceID: functionAddress,
		Encrypted:         true,
		Content:           ed,
	}
	return s.sign(env)
}

// SealReceipt wraps a receipt (never encrypted, spec-facts §d) in a signed XHE. From/To
// are the receipt's sender and receiver; handlingServiceID is the original message's
// (⚠U spec-facts §k 15 for the receipt's DocumentTypeCode and DOCUMENTID).
func (s *Sealer) SealReceipt(r *kvittens.Receipt, handlingServiceID string) ([]byte, error) {
	if err := s.Profile.Validate(); err != nil {
		return nil, err
	}
	if s.Key == nil || s.Cert == nil || s.Now == nil {
		return nil, errors.New("o2o: seal receipt: key, certificate and clock are required")
	}
	if _, err := r.Bytes(); err != nil { // validates
		return nil, fmt.Errorf("o2o: seal receipt: %w", err)
	}
	env := &xhe.Envelope{
		ID:                r.ID,
		CreationDateTime:  sdkmsg.FormatTime(s.Now()),
		Scope:             xhe.Scope(xhe.DocIDReceipt, s.Profile.Federation),
		From:              r.Sender,
		To:                r.Receiver,
		DocumentTypeCode:  xhe.DocTypeReceipt,
		ContentTypeCode:   xhe.ContentTypeXML,
		HandlingServiceID: handlingServiceID,
		Content:           r.Element(),
	}
	return s.sign(env)
}

func attentionOf(m *sdkmsg.Message) string {
	if m.Recipient.Attention == nil {
		return ""
	}
	return m.Recipient.Attention.FunctionAddress
}

// elementBytes returns the root element of a document, serialised on its own (no XML
// declaration), as the plaintext of an EncryptedData of Type #Element.
func elementBytes(doc []byte) ([]byte, error) {
	d, err := xmlsafe.ParseBytes(bytes.TrimPrefix(doc, utf8BOM), xmlsafe.DefaultLimits)
	if err != nil {
		return nil, err
	}
	return serialise(d.Root())
}

// serialise writes el (a document's root, so all its namespace declarations are on it)
// without modifying it.
func serialise(el *etree.Element) ([]byte, error) {
	var buf bytes.Buffer
	el.WriteTo(&buf, &etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true})
	return buf.Bytes(), nil
}

// utf8BOM may start a UTF-8 document (XML 1.0 §4.3.3); core/xmlsafe refuses it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// canonicalWriteSettings escape text and attribute values as canonical XML does
// (notably CR as &#xD;), so the serialised bytes re-parse to the tree that was signed.
func canonicalWriteSettings() etree.WriteSettings {
	return etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true}
}

// x509Data returns <ds:X509Data><ds:X509Certificate>…</ds:X509Certificate></ds:X509Data>.
func x509Data(cert *x509.Certificate) *etree.Element {
	d := etree.NewElement("ds:X509Data")
	d.CreateAttr("xmlns:ds", xmldsig.Namespace)
	d.CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	return d
}

// encrypt builds xenc:EncryptedData Type=#Element around plain, with an EncryptedKey
// for recipient (carrying its certificate) inside ds:KeyInfo.
func (s *Sealer) encrypt(plain []byte, recipient *x509.Certificate) (*etree.Element, error) {
	pub, ok := recipient.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("recipient key is %T, want RSA", recipient.PublicKey)
	}
	n, err := xmlenc.KeySize(s.Profile.Content)
	if err != nil {
		return nil, err
	}
	cek := make([]byte, n)
	if _, err := rand.Read(cek); err != nil {
		return nil, err
	}
	ct, err := xmlenc.Encrypt(s.Profile.Content, cek, plain)
	if err != nil {
		return nil, err
	}
	wrapped, err := s.Profile.KeyTransport.Wrap(pub, cek)
	if err != nil {
		return nil, err
	}
	kt := s.Profile.KeyTransport
	ek := &xmlenc.EncryptedKey{Transport: &kt, KeyInfo: keyInfo(x509Data(recipient)), CipherValue: wrapped}
	ed := &xmlenc.EncryptedData{Type: string(xmlenc.TypeElement), Algorithm: s.Profile.Content,
		KeyInfo: keyInfo(ek.Element()), CipherValue: ct}
	return ed.Element(), nil
}

// keyInfo wraps content in ds:KeyInfo.
func keyInfo(content *etree.Element) *etree.Element {
	ki := etree.NewElement("ds:KeyInfo")
	ki.CreateAttr("xmlns:ds", xmldsig.Namespace)
	ki.AddChild(content)
	return ki
}

// sign builds the XHE document of env and appends the enveloped signature.
func (s *Sealer) sign(env *xhe.Envelope) ([]byte, error) {
	doc := env.Document()
	root := doc.Root()
	if vs := xhe.Validate(root); len(vs) > 0 {
		return nil, fmt.Errorf("o2o: seal: %w", kvittens.Reject(vs))
	}
	transforms := []xmldsig.Transform{xmldsig.EnvelopedSignature, xmldsig.TransformC14N10}
	digest, err := xmldsig.DigestElement(root, transforms, nil, s.Profile.Digest, nil)
	if err != nil {
		return nil, fmt.Errorf("o2o: seal: digest: %w", err)
	}
	refs := []xmldsig.Reference{{URI: "", Transforms: transforms, DigestMethod: s.Profile.Digest, DigestValue: digest}}
	if _, err := xmldsig.Sign(root, -1, s.Key, refs, xmldsig.SignOptions{
		Method: s.Profile.Signature, C14N: c14n.C14N10, KeyInfo: x509Data(s.Cert),
	}); err != nil {
		return nil, fmt.Errorf("o2o: seal: sign: %w", err)
	}
	doc.WriteSettings = canonicalWriteSettings()
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("o2o: seal: serialise: %w", err)
	}
	return buf.Bytes(), nil
}
