package o2o

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/core/xhe"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// MaxXHEBytes caps an incoming XHE: a 30 MB SDK message grows by base64 twice (its files,
// then the ciphertext) and XML, so about 54 MB; larger is BV/too-long without parsing.
const MaxXHEBytes = 56_000_000

// Sender says whom the signature must come from.
type Sender struct {
	// Cert is the certificate CertPub publishes for the sending organisation. When set,
	// the signer certificate must be exactly this one (else SIG/security).
	Cert *x509.Certificate
	// Trust, when set, must chain the signer certificate (core/trust, RFC 5280 §6, at the
	// store's injected time, key usage for signing). Checking the O2O chain as well as the
	// CertPub certificate is our choice (spec-facts §j).
	Trust *trust.Store
}

// Verified is what a signature check establishes.
type Verified struct {
	Signer   *x509.Certificate
	Document *etree.Document // the signed XHE document (as parsed; the Reference covers it whole)
}

// Verify checks the enveloped XHE signature of b against sender at now: the signature
// must be the last child of XHE with exactly one Reference, URI="", enveloped-signature
// then C14N 1.0 (or enveloped only, as DIGG's older example), with algorithms the profile
// accepts. Failures are *kvittens.Rejection SIG/security.
func Verify(b []byte, sender Sender, p Profile, now time.Time) (*Verified, error) {
	if len(b) > MaxXHEBytes {
		return nil, &kvittens.Rejection{Reason: kvittens.BV, Detail: kvittens.DetailTooLong,
			Err: fmt.Errorf("o2o: xhe is %d bytes, over %d", len(b), MaxXHEBytes)}
	}
	doc, err := xmlsafe.ParseBytes(bytes.TrimPrefix(b, utf8BOM), xmlsafe.DefaultLimits)
	if err != nil {
		return nil, &kvittens.Rejection{Reason: kvittens.SV, Detail: kvittens.DetailStructure, Err: fmt.Errorf("o2o: %w", err)}
	}
	root := doc.Root()
	if root == nil || !xmlsafe.Is(root, xhe.Namespace, "XHE") {
		return nil, &kvittens.Rejection{Reason: kvittens.SV, Detail: kvittens.DetailStructure, Err: errors.New("o2o: not an xhe envelope")}
	}
	signer, err := verifySignature(root, sender, p, now)
	if err != nil {
		return nil, &kvittens.Rejection{Reason: kvittens.SIG, Detail: kvittens.DetailSecurity, Err: fmt.Errorf("o2o: verify: %w", err)}
	}
	return &Verified{Signer: signer, Document: doc}, nil
}

// ErrWrongSigner is wrapped when the signer is not the sender's CertPub certificate.
var ErrWrongSigner = errors.New("signer is not the sender's published certificate")

// ErrNotEncrypted is wrapped when a message XHE's payload is not encrypted.
var ErrNotEncrypted = errors.New("payload is not encrypted")

// ErrMismatch is wrapped when the XHE and the SDK message disagree.
var ErrMismatch = errors.New("xhe and sdk message disagree")

func verifySignature(root *etree.Element, sender Sender, p Profile, now time.Time) (*x509.Certificate, error) {
	sigs := xmlsafe.Children(root, xmldsig.Namespace, "Signature")
	if len(sigs) != 1 {
		return nil, fmt.Errorf("%d ds:Signature children of XHE, want 1", len(sigs))
	}
	kids := root.ChildElements()
	if kids[len(kids)-1] != sigs[0] {
		return nil, errors.New("ds:Signature is not the last child of XHE")
	}
	sig, err := xmldsig.ParseSignature(sigs[0])
	if err != nil {
		return nil, err
	}
	if len(sig.References) != 1 || sig.References[0].URI != "" {
		return nil, errors.New("want exactly one Reference with URI=\"\"")
	}
	tr := sig.References[0].Transforms
	if len(tr) == 0 || tr[0] != xmldsig.EnvelopedSignature || len(tr) > 2 ||
		(len(tr) == 2 && tr[1] != xmldsig.TransformC14N10 && tr[1] != xmldsig.TransformC14N10Comments) {
		return nil, fmt.Errorf("transforms %v: want enveloped-signature then C14N 1.0", tr)
	}
	if sig.KeyInfo == nil {
		return nil, errors.New("no ds:KeyInfo")
	}
	certs, err := xmldsig.KeyInfoCertificates(sig.KeyInfo)
	if err != nil {
		return nil, err
	}
	signer := certs[0]
	if sender.Cert != nil && !signer.Equal(sender.Cert) {
		return nil, fmt.Errorf("%w: signed by %q", ErrWrongSigner, signer.Subject.String())
	}
	if sender.Trust != nil {
		if _, err := sender.Trust.Verify(signer, certs[1:], trust.Signing); err != nil {
			return nil, fmt.Errorf("signer certificate: %w", err)
		}
	} else if sender.Cert == nil {
		return nil, errors.New("no expected sender certificate and no trust roots")
	} else if now.Before(signer.NotBefore) || now.After(signer.NotAfter) {
		return nil, fmt.Errorf("signer certificate not valid at %s", now.UTC().Format(time.RFC3339))
	}
	policy := xmldsig.Policy{Methods: p.AcceptSignature, Digests: p.AcceptDigest, C14N: p.AcceptC14N, MinRSABits: p.MinRSABits}
	if _, err := sig.Verify(signer.PublicKey, &xmldsig.IDResolver{Root: root, Signature: sigs[0]}, policy); err != nil {
		return nil, err
	}
	return signer, nil
}

// Opener opens XHEs addressed to one receiving organisation.
type Opener struct {
	Decrypter crypto.Decrypter // the organisation's key (KMS fits)
	// Cert is the organisation's certificate. When set, the EncryptedKey must name it
	// (if it carries a certificate at all).
	Cert    *x509.Certificate
	Profile Profile
	Now     func() time.Time
	// MaxMessageBytes caps the decrypted SDK message; 0 means sdkmsg.MaxBytes (30 MB,
	// [CONTENT] §5). Over it → BV/too-long.
	MaxMessageBytes int
}

// Opened is an opened SDK message.
type Opened struct {
	Envelope *xhe.Envelope
	Message  *sdkmsg.Message
	// MessageXML is the decrypted messagePayload element, serialised.
	MessageXML []byte
	Signer     *x509.Certificate
}

func reject(r kvittens.Reason, d kvittens.Detail, err error) *kvittens.Rejection {
	return &kvittens.Rejection{Reason: r, Detail: d, Err: err}
}

// Open verifies the XHE signature against sender, checks the XHE profile, decrypts the
// payload, validates the SDK message and cross-checks it with the envelope ([CONTENT]
// §5.3). Every failure is a *kvittens.Rejection.
func (o *Opener) Open(b []byte, sender Sender) (*Opened, error) {
	if o.Now == nil || o.Decrypter == nil {
		return nil, errors.New("o2o: open: decrypter and clock are required")
	}
	if err := o.Profile.Validate(); err != nil {
		return nil, err
	}
	v, err := Verify(b, sender, o.Profile, o.Now())
	if err != nil {
		return nil, err
	}
	root := v.Document.Root()
	env, err := xhe.Parse(root)
	if err != nil {
		return nil, fmt.Errorf("o2o: open: %w", err)
	}
	if env.Criterion(xhe.DocumentID) != xhe.DocIDMessage || env.DocumentTypeCode != xhe.DocTypeMessage {
		return nil, reject(kvittens.BV, kvittens.DetailNotSupported,
			fmt.Errorf("o2o: open: document %q (%s) is not an SDK message v3", env.Criterion(xhe.DocumentID), env.DocumentTypeCode))
	}
	if !env.Encrypted || env.Content == nil || !xmlsafe.Is(env.Content, xmlenc.Namespace, "EncryptedData") {
		return nil, reject(kvittens.SIG, kvittens.DetailSecurity, fmt.Errorf("o2o: open: %w", ErrNotEncrypted))
	}
	plain, err := o.decrypt(env.Content)
	if err != nil {
		return nil, reject(kvittens.SIG, kvittens.DetailSecurity, fmt.Errorf("o2o: open: decrypt: %w", err))
	}
	limit := o.MaxMessageBytes
	if limit <= 0 || limit > sdkmsg.MaxBytes {
		limit = sdkmsg.MaxBytes
	}
	if len(plain) > limit {
		return nil, reject(kvittens.BV, kvittens.DetailTooLong, fmt.Errorf("o2o: open: message is %d bytes, over %d", len(plain), limit))
	}
	m, err := sdkmsg.Parse(plain)
	if err != nil {
		return nil, fmt.Errorf("o2o: open: %w", err)
	}
	if err := crossCheck(env, m); err != nil {
		return nil, err
	}
	return &Opened{Envelope: env, Message: m, MessageXML: plain, Signer: v.Signer}, nil
}

// sameParticipant compares participant ids case-insensitively (⚠U spec-facts §k 21).
func sameParticipant(a, b string) bool { return strings.EqualFold(a, b) }

// crossCheck applies the field rules of [CONTENT] §4 and §5.3 between XHE and message.
func crossCheck(env *xhe.Envelope, m *sdkmsg.Message) error {
	var vs []kvittens.Violation
	add := func(d kvittens.Detail, loc, text string) {
		vs = append(vs, kvittens.Violation{Rule: "CONTENT-xhe", Location: loc, Text: text, Reason: kvittens.BV, Detail: d})
	}
	if !sameParticipant(m.Sender.ID, env.From) {
		add(kvittens.DetailSecurity, "/tns:messagePayload/tns:message/tns:messageHeader/tns:sender/tns:senderID", "senderID differs from XHE FromParty")
	}
	if !sameParticipant(m.Recipient.ID, env.To) {
		add(kvittens.DetailSecurity, "/tns:messagePayload/tns:message/tns:messageHeader/tns:recipient/tns:recipientID", "recipientID differs from XHE ToParty")
	}
	if attentionOf(m) != env.HandlingServiceID {
		add(kvittens.DetailSecurity, "/tns:messagePayload/tns:message/tns:messageHeader/tns:recipient/tns:attention/tns:subOrganization",
			"subOrganization differs from XHE HandlingServiceID")
	}
	// [CONTENT] §3.2: XHE CreationDateTime is validated with the schematron Timestamp
	// pattern (detail text "Timestamp should match pattern …").
	if !xheTimestamp(env.CreationDateTime) {
		add(kvittens.DetailInvariant, "/x:XHE/xha:Header/xhb:CreationDateTime", "CreationDateTime should match pattern YYYY-MM-DD'T'hh:mm:ss.s'Z'")
	}
	if m.MessageID != env.ID {
		add(kvittens.DetailInvariant, "/tns:messagePayload/tns:message/tns:messageHeader/tns:messageId", "messageId differs from XHE Header/ID")
	}
	if len(vs) == 0 {
		return nil
	}
	r := kvittens.Reject(vs)
	r.Err = fmt.Errorf("o2o: open: %w", ErrMismatch)
	return r
}

// xheTimestamp is MessageConstraints.xml's pattern.Timestamp, which [CONTENT] §3.2
// applies to the XHE CreationDateTime too.
func xheTimestamp(s string) bool {
	return regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[^\n\r][0-9]{1,3}Z$`).MatchString(s)
}

// decrypt decrypts EncryptedData Type=#Element with the EncryptedKey in its KeyInfo.
func (o *Opener) decrypt(el *etree.Element) ([]byte, error) {
	ed, err := xmlenc.ParseEncryptedData(el)
	if err != nil {
		return nil, err
	}
	if ed.Type != string(xmlenc.TypeElement) {
		return nil, fmt.Errorf("EncryptedData Type %q, want %s", ed.Type, xmlenc.TypeElement)
	}
	if !slices.Contains(o.Profile.AcceptContent, ed.Algorithm) {
		return nil, fmt.Errorf("content algorithm %s not accepted", ed.Algorithm)
	}
	if ed.KeyInfo == nil {
		return nil, errors.New("EncryptedData has no ds:KeyInfo")
	}
	eks := xmlsafe.Children(ed.KeyInfo, xmlenc.Namespace, "EncryptedKey")
	if len(eks) != 1 {
		return nil, fmt.Errorf("%d EncryptedKey in ds:KeyInfo, want 1", len(eks))
	}
	ek, err := xmlenc.ParseEncryptedKey(eks[0])
	if err != nil {
		return nil, err
	}
	if ek.Transport == nil || !slices.Contains(o.Profile.AcceptKeyTransport, ek.Transport.Algorithm) {
		return nil, errors.New("key transport not accepted")
	}
	if o.Cert != nil && ek.KeyInfo != nil {
		if certs, err := xmldsig.KeyInfoCertificates(ek.KeyInfo); err == nil && len(certs) > 0 && !certs[0].Equal(o.Cert) {
			return nil, fmt.Errorf("encrypted for %q, not for this organisation", certs[0].Subject.String())
		}
	}
	if pub, ok := o.Decrypter.Public().(*rsa.PublicKey); !ok || pub == nil {
		return nil, errors.New("decrypter is not an RSA key")
	}
	cek, err := ek.Transport.Unwrap(o.Decrypter, ek.CipherValue)
	if err != nil {
		return nil, err
	}
	want, err := xmlenc.KeySize(ed.Algorithm)
	if err != nil {
		return nil, err
	}
	if len(cek) != want {
		return nil, fmt.Errorf("content key is %d bytes, want %d", len(cek), want)
	}
	if ed.CipherValue == nil {
		return nil, errors.New("no CipherValue (CipherReference is not supported here)")
	}
	return xmlenc.Decrypt(ed.Algorithm, cek, ed.CipherValue)
}

// OpenReceipt verifies a receipt XHE (signed, never encrypted) against sender at now and
// returns the envelope and the Meddelandekvittens, cross-checked: the receipt's sender and
// receiver must be the XHE's From and To parties (BV/security otherwise).
func OpenReceipt(b []byte, sender Sender, p Profile, now time.Time) (*xhe.Envelope, *kvittens.Receipt, error) {
	v, err := Verify(b, sender, p, now)
	if err != nil {
		return nil, nil, err
	}
	env, err := xhe.Parse(v.Document.Root())
	if err != nil {
		return nil, nil, fmt.Errorf("o2o: open receipt: %w", err)
	}
	if env.Encrypted || env.Content == nil || !xmlsafe.Is(env.Content, kvittens.Namespace, "ApplicationResponse") {
		return nil, nil, reject(kvittens.BV, kvittens.DetailNotSupported, errors.New("o2o: open receipt: the XHE does not carry a Meddelandekvittens"))
	}
	r, err := kvittens.Parse(env.Content)
	if err != nil {
		return nil, nil, fmt.Errorf("o2o: open receipt: %w", err)
	}
	if !sameParticipant(r.Sender, env.From) || !sameParticipant(r.Receiver, env.To) {
		return nil, nil, reject(kvittens.BV, kvittens.DetailSecurity, fmt.Errorf("o2o: open receipt: %w", ErrMismatch))
	}
	return env, r, nil
}
