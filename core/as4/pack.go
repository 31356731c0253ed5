package as4

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
)

// Payload is one application payload to send as a MIME attachment.
type Payload struct {
	// ContentID is the bare Content-ID (no "cid:", no angle brackets); PartInfo@href is "cid:"+ContentID.
	ContentID string
	// MimeType is the payload's media type; REQUIRED (eDelivery AS4 1.15, AS4_CP_TA25).
	MimeType string
	// CharacterSet is the optional CharacterSet part property (RECOMMENDED for text).
	CharacterSet string
	// Properties are further eb:PartProperties.
	Properties []ebms.Property
	// Data is the payload, uncompressed. It is not modified.
	Data []byte
}

// Sender is what Pack signs and encrypts with.
type Sender struct {
	Key  crypto.Signer     // signing key (RSA for 1.15, Ed25519 for 2.0)
	Cert *x509.Certificate // its certificate, sent as a BinarySecurityToken
}

// Packer builds signed and encrypted AS4 user messages.
type Packer struct {
	Profile Profile
	Sender  Sender
	// Recipient is the receiving access point's encryption certificate (RSA for
	// 1.15, X25519 for 2.0; from SMP in production).
	Recipient *x509.Certificate
	// Now is the clock for MessageInfo/Timestamp and wsu:Timestamp; required.
	Now func() time.Time
	// NewID returns a fresh unique id; nil means a random UUID.
	NewID func() string
	// Boundary optionally fixes the MIME boundary (tests, vectors).
	Boundary string
}

// Sent is what the sender keeps of a packed message to check its receipt.
type Sent struct {
	MessageID string
	// References are copies of the ds:Reference elements the message's signature signed.
	References []*etree.Element
}

// Pack writes um with payloads to w as a MIME multipart/related message and
// returns its Content-Type. um is not modified: Pack works on a copy, filling
// MessageInfo (MessageId if empty, Timestamp from Now) and PayloadInfo from
// payloads. The order is compress, sign, encrypt (AS4_CP_TA38).
func (p *Packer) Pack(w io.Writer, um *ebms.UserMessage, payloads []Payload) (contentType string, sent *Sent, err error) {
	if p.Now == nil {
		return "", nil, errors.New("as4: pack: no clock")
	}
	if um == nil {
		return "", nil, errors.New("as4: pack: no user message")
	}
	if p.Sender.Key == nil || p.Sender.Cert == nil || p.Recipient == nil {
		return "", nil, errors.New("as4: pack: sender key, sender certificate and recipient certificate are required")
	}
	s, err := suiteFor(p.Profile)
	if err != nil {
		return "", nil, fmt.Errorf("as4: pack: %w", err)
	}
	newID := p.NewID
	if newID == nil {
		newID = randomUUID
	}
	now := p.Now()

	msg := *um
	msg.Properties = append([]ebms.Property(nil), um.Properties...)
	msg.Payloads = nil
	if msg.Info.MessageID == "" {
		msg.Info.MessageID = newID() + "@brevduva"
	}
	if msg.Info.Timestamp.IsZero() {
		msg.Info.Timestamp = now
	}
	seen := map[string]bool{}
	parts := make([]packedPart, 0, len(payloads))
	for _, pl := range payloads {
		if pl.ContentID == "" || strings.ContainsAny(pl.ContentID, "<> \t\r\n") || seen[pl.ContentID] {
			return "", nil, fmt.Errorf("as4: pack: payload Content-ID %q empty, malformed or repeated", pl.ContentID)
		}
		seen[pl.ContentID] = true
		if pl.MimeType == "" {
			return "", nil, fmt.Errorf("as4: pack: payload %q: MimeType is required (AS4_CP_TA25)", pl.ContentID)
		}
		props := []ebms.Property{{Name: ebms.PropMimeType, Value: pl.MimeType}}
		if pl.CharacterSet != "" {
			props = append(props, ebms.Property{Name: ebms.PropCharacterSet, Value: pl.CharacterSet})
		}
		data := pl.Data
		partType := pl.MimeType
		if s.compress {
			props = append(props, ebms.Property{Name: ebms.PropCompressionType, Value: ebms.CompressionGzip})
			if data, err = gzipBytes(pl.Data); err != nil {
				return "", nil, fmt.Errorf("as4: pack: compress %q: %w", pl.ContentID, err)
			}
			partType = ebms.CompressionGzip
		}
		for _, pp := range pl.Properties {
			switch pp.Name {
			case ebms.PropMimeType, ebms.PropCharacterSet, ebms.PropCompressionType:
				return "", nil, fmt.Errorf("as4: pack: payload %q: property %s is set by Pack", pl.ContentID, pp.Name)
			}
			props = append(props, pp)
		}
		msg.Payloads = append(msg.Payloads, ebms.PartInfo{Href: "cid:" + pl.ContentID, Properties: props})
		parts = append(parts, packedPart{cid: pl.ContentID, contentType: partType, data: data})
	}

	env := soap.New()
	sec := wssec.NewSecurity(soap.Prefix)
	env.AddHeader(sec)
	m := &ebms.Messaging{ID: "_" + newID(), UserMessage: &msg}
	mel, err := m.Element()
	if err != nil {
		return "", nil, fmt.Errorf("as4: pack: %w", err)
	}
	env.AddHeader(mel)
	bodyID := "_" + newID()
	wssec.SetWSUID(env.Body, bodyID)

	refs, err := s.sign(sec, env, mel, m.ID, bodyID, parts, p.Sender, now, newID)
	if err != nil {
		return "", nil, fmt.Errorf("as4: pack: sign: %w", err)
	}
	if s.encryptParts {
		if err := s.encrypt(sec, parts, p.Recipient, newID); err != nil {
			return "", nil, fmt.Errorf("as4: pack: encrypt: %w", err)
		}
	} else {
		for i := range parts {
			parts[i].wire, parts[i].wireType = parts[i].data, parts[i].contentType
		}
	}
	root, err := env.Bytes()
	if err != nil {
		return "", nil, fmt.Errorf("as4: pack: serialise envelope: %w", err)
	}
	mw := mime.NewWriter(w, "application/soap+xml")
	if p.Boundary != "" {
		if err := mw.SetBoundary(p.Boundary); err != nil {
			return "", nil, fmt.Errorf("as4: pack: %w", err)
		}
	}
	if err := mw.WriteRoot(root); err != nil {
		return "", nil, fmt.Errorf("as4: pack: %w", err)
	}
	for _, pt := range parts {
		pw, err := mw.CreatePart(pt.cid, pt.wireType, textproto.MIMEHeader{})
		if err != nil {
			return "", nil, fmt.Errorf("as4: pack: part %q: %w", pt.cid, err)
		}
		if _, err := pw.Write(pt.wire); err != nil {
			return "", nil, fmt.Errorf("as4: pack: part %q: %w", pt.cid, err)
		}
	}
	if err := mw.Close(); err != nil {
		return "", nil, fmt.Errorf("as4: pack: %w", err)
	}
	return mw.ContentType(), &Sent{MessageID: msg.Info.MessageID, References: refs}, nil
}

type packedPart struct {
	cid         string
	contentType string // before encryption (what the signature transform saw)
	data        []byte // compressed payload (signed octets)
	wireType    string
	wire        []byte // what goes on the wire
}

// sign adds BST (+ Timestamp) and ds:Signature to sec and returns copies of the ds:Reference elements.
func (s suite) sign(sec *etree.Element, env *soap.Envelope, mel *etree.Element, mid, bodyID string, parts []packedPart, snd Sender, now time.Time, newID func() string) ([]*etree.Element, error) {
	var str *etree.Element
	switch s.emitToken {
	case pmode.TokenSKI:
		str = wssec.NewSKISTR(snd.Cert)
	case pmode.TokenIssuerSerial:
		str = wssec.NewIssuerSerialSTR(snd.Cert)
	default: // pmode.TokenBST (spec-facts §k 9)
		bstID := "X509-" + newID()
		sec.AddChild(wssec.NewBinarySecurityToken(bstID, snd.Cert))
		str = wssec.NewReferenceSTR(bstID)
	}
	var refs []xmldsig.Reference
	excl := []xmldsig.Transform{xmldsig.Transform(s.c14n)}
	if s.timestamp > 0 {
		tsID := "TS-" + newID()
		ts := wssec.NewTimestamp(tsID, now, s.timestamp)
		sec.InsertChildAt(0, ts)
		d, err := xmldsig.DigestElement(ts, excl, nil, s.digest, nil)
		if err != nil {
			return nil, err
		}
		refs = append(refs, xmldsig.Reference{URI: "#" + tsID, Transforms: excl, DigestMethod: s.digest, DigestValue: d})
	}
	for _, r := range []struct {
		el *etree.Element
		id string
	}{{mel, mid}, {env.Body, bodyID}} {
		d, err := xmldsig.DigestElement(r.el, excl, nil, s.digest, nil)
		if err != nil {
			return nil, err
		}
		refs = append(refs, xmldsig.Reference{URI: "#" + r.id, Transforms: excl, DigestMethod: s.digest, DigestValue: d})
	}
	for _, pt := range parts {
		content, err := wssec.AttachmentContent(pt.contentType, pt.data)
		if err != nil {
			return nil, err
		}
		d, err := xmldsig.Digest(s.digest, content)
		if err != nil {
			return nil, err
		}
		refs = append(refs, xmldsig.Reference{URI: "cid:" + pt.cid,
			Transforms:   []xmldsig.Transform{xmldsig.Transform(wssec.AttachmentContentSignatureTransform)},
			DigestMethod: s.digest, DigestValue: d})
	}
	sig, err := xmldsig.Sign(sec, -1, snd.Key, refs, xmldsig.SignOptions{
		Method: s.method, C14N: s.c14n, ID: "SIG-" + newID(), KeyInfo: str,
	})
	if err != nil {
		return nil, err
	}
	var out []*etree.Element
	for _, r := range sig.FindElements("./SignedInfo/Reference") {
		out = append(out, copyInScope(r))
	}
	return out, nil
}

// encrypt encrypts every part under one content key and adds the EncryptedKey and
// the EncryptedData elements to the front of sec (WS-Security §9: prepend).
func (s suite) encrypt(sec *etree.Element, parts []packedPart, recipient *x509.Certificate, newID func() string) error {
	if len(parts) == 0 {
		return nil
	}
	cek, err := xmlenc.NewKey(s.content)
	if err != nil {
		return err
	}
	bstID := "X509-" + newID()
	ek := &xmlenc.EncryptedKey{ID: "EK-" + newID()}
	switch pub := publicKey(recipient).(type) {
	case *rsa.PublicKey:
		if s.transport == nil {
			return fmt.Errorf("recipient has an RSA key but the profile uses key agreement: %w", errProfileKey)
		}
		kt := *s.transport
		if ek.CipherValue, err = kt.Wrap(pub, cek); err != nil {
			return err
		}
		ek.Transport = &kt
		ek.KeyInfo = wssec.NewReferenceSTR(bstID)
	case *ecdh.PublicKey:
		if s.agreement == nil {
			return fmt.Errorf("recipient has an ECDH key but the profile uses key transport: %w", errProfileKey)
		}
		wrapped, eph, used, err := s.agreement.WrapFor(pub, cek)
		if err != nil {
			return err
		}
		ek.CipherValue, ek.Ephemeral, ek.Agreement = wrapped, eph, &used
		ek.RecipientKeyInfo = wssec.NewReferenceSTR(bstID)
	default:
		return fmt.Errorf("recipient key type %T: %w", recipient.PublicKey, errProfileKey)
	}
	var eds []*etree.Element
	for i := range parts {
		pt := &parts[i]
		ct, err := xmlenc.Encrypt(s.content, cek, pt.data)
		if err != nil {
			return err
		}
		edID := "ED-" + newID()
		ed := &xmlenc.EncryptedData{
			ID: edID, Type: string(wssec.AttachmentContentOnly), MimeType: pt.contentType, Algorithm: s.content,
			KeyInfo: wssec.NewEncryptedKeySTR(ek.ID),
			CipherReference: &xmlenc.CipherReference{URI: "cid:" + pt.cid,
				Transforms: []string{string(wssec.AttachmentCiphertextTransform)}},
		}
		ek.DataReferences = append(ek.DataReferences, "#"+edID)
		eds = append(eds, ed.Element())
		pt.wire, pt.wireType = ct, "application/octet-stream"
	}
	front := []*etree.Element{wssec.NewBinarySecurityToken(bstID, recipient), ek.Element()}
	front = append(front, eds...)
	for i, el := range front {
		sec.InsertChildAt(i, el)
	}
	return nil
}

// publicKey returns c's key; crypto/x509 leaves X25519 keys (RFC 8410, the
// eDelivery AS4 2.0 encryption certificates) undecoded, so parse the SPKI.
func publicKey(c *x509.Certificate) any {
	if c.PublicKey != nil {
		return c.PublicKey
	}
	k, err := x509.ParsePKIXPublicKey(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil
	}
	return k
}

var errProfileKey = errors.New("as4: key does not fit the profile")

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// randomUUID returns a version 4 UUID (RFC 9562 §5.4).
func randomUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("internal error: crypto/rand: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// copyInScope copies el and declares on the copy every namespace prefix used in
// it that is declared only on its ancestors, so the copy stands alone (for the
// ds:Reference copies of NRR receipts).
func copyInScope(el *etree.Element) *etree.Element {
	c := el.Copy()
	declared := map[string]bool{}
	for _, a := range c.Attr {
		if a.Space == "xmlns" {
			declared[a.Key] = true
		} else if a.Space == "" && a.Key == "xmlns" {
			declared[""] = true
		}
	}
	need := map[string]bool{}
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		need[e.Space] = true
		for _, a := range e.Attr {
			if a.Space != "" && a.Space != "xmlns" && a.Space != "xml" {
				need[a.Space] = true
			}
		}
		for _, k := range e.ChildElements() {
			walk(k)
		}
	}
	walk(c)
	for p := range need {
		if declared[p] {
			continue
		}
		for anc := el.Parent(); anc != nil; anc = anc.Parent() {
			if v, ok := findDecl(anc, p); ok {
				if p == "" {
					c.CreateAttr("xmlns", v)
				} else {
					c.CreateAttr("xmlns:"+p, v)
				}
				break
			}
		}
	}
	return c
}

func findDecl(el *etree.Element, prefix string) (string, bool) {
	for _, a := range el.Attr {
		if prefix == "" && a.Space == "" && a.Key == "xmlns" {
			return a.Value, true
		}
		if prefix != "" && a.Space == "xmlns" && a.Key == prefix {
			return a.Value, true
		}
	}
	return "", false
}
