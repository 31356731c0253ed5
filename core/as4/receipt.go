package as4

import (
	"bytes"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// SignalContentType is the Content-Type of the signal messages built here
// (SOAP 1.2 without attachments).
const SignalContentType = "application/soap+xml; charset=UTF-8"

// SignalBuilder builds signed signal messages: receipts and errors.
type SignalBuilder struct {
	Profile Profile
	Sender  Sender
	Now     func() time.Time
	NewID   func() string // nil: random UUIDs
}

// Receipt returns the signed non-repudiation receipt for a verified user
// message (AS4 Profile §5.1.8; eDelivery AS4 1.15: one
// ebbp:MessagePartNRInformation per ds:Reference of the received signature).
func (b *SignalBuilder) Receipt(received *Verified) ([]byte, error) {
	if received == nil || received.Messaging == nil || received.Messaging.UserMessage == nil {
		return nil, errors.New("as4: receipt: no verified user message")
	}
	return b.ReceiptFor(received.Messaging.UserMessage.Info.MessageID, received.References)
}

// ReceiptFor returns a signed receipt for message refTo holding copies of refs.
func (b *SignalBuilder) ReceiptFor(refTo string, refs []*etree.Element) ([]byte, error) {
	if len(refs) == 0 {
		return nil, errors.New("as4: receipt: no references to acknowledge")
	}
	if b.Now == nil {
		return nil, errors.New("as4: receipt: no clock")
	}
	newID := b.newID()
	m := ebms.NewReceipt("_"+newID(), newID()+"@brevduva", refTo, b.Now(), refs)
	out, err := b.signSignal(m, newID)
	if err != nil {
		return nil, fmt.Errorf("as4: receipt: %w", err)
	}
	return out, nil
}

// ErrorSignal returns a signed ebMS error signal about refTo (ebMS 3.0 Core
// §6.2; eDelivery AS4 1.15: sign error signals, spec-facts §g). Security
// errors go out without their detail (ebms.Error.Public).
func (b *SignalBuilder) ErrorSignal(refTo string, errs ...*ebms.Error) ([]byte, error) {
	if len(errs) == 0 {
		return nil, errors.New("as4: error signal: no errors")
	}
	if b.Now == nil {
		return nil, errors.New("as4: error signal: no clock")
	}
	newID := b.newID()
	m := ebms.ErrorSignal("_"+newID(), newID()+"@brevduva", refTo, b.Now(), errs...)
	out, err := b.signSignal(m, newID)
	if err != nil {
		return nil, fmt.Errorf("as4: error signal: %w", err)
	}
	return out, nil
}

func (b *SignalBuilder) newID() func() string {
	if b.NewID != nil {
		return b.NewID
	}
	return randomUUID
}

func (b *SignalBuilder) signSignal(m *ebms.Messaging, newID func() string) ([]byte, error) {
	if b.Sender.Key == nil || b.Sender.Cert == nil {
		return nil, errors.New("no signing key or certificate")
	}
	s, err := suiteFor(b.Profile)
	if err != nil {
		return nil, err
	}
	env := soap.New()
	sec := wssec.NewSecurity(soap.Prefix)
	env.AddHeader(sec)
	mel, err := m.Element()
	if err != nil {
		return nil, err
	}
	env.AddHeader(mel)
	bodyID := "_" + newID()
	wssec.SetWSUID(env.Body, bodyID)
	if _, err := s.sign(sec, env, mel, m.ID, bodyID, nil, b.Sender, b.Now(), newID); err != nil {
		return nil, err
	}
	return env.Bytes()
}

// SignalVerifier verifies signed signal messages from a peer.
type SignalVerifier struct {
	Profile Profile
	Trust   *trust.Store
	Known   []*x509.Certificate // resolve SKI / IssuerSerial token references
	Limits  *Limits
	// Peer, when set, is the only certificate a signal may be signed with: the AP
	// certificate the receiver's SMP registration publishes (spec-facts §a: peer cert
	// from SMP Endpoint/Certificate). Chain validation alone would also accept any
	// other AP of the same CA, e.g. a receipt forged by a third access point.
	Peer *x509.Certificate
}

// VerifiedSignal is a signal message whose signature, references and signer verified.
type VerifiedSignal struct {
	Messaging *ebms.Messaging
	Signer    *x509.Certificate
	Chain     []*x509.Certificate
	// References are the verified ds:Reference elements of the signal's own signature.
	References []*etree.Element
}

// Verify checks a received signal message (SOAP 1.2 or 1.1, plain or in
// multipart/related): every reference, eb:Messaging and Body signed, signer
// trusted. Errors are *ebms.Error.
func (v *SignalVerifier) Verify(contentType string, body io.Reader) (*VerifiedSignal, error) {
	lim := DefaultLimits
	if v.Limits != nil {
		lim = *v.Limits
	}
	rc, err := readMessage(contentType, body, lim)
	if err != nil {
		return nil, err
	}
	if err := checkMustUnderstand(rc.env); err != nil {
		return nil, err
	}
	mel, unverified, err := rc.messaging()
	if err != nil {
		return nil, err
	}
	if unverified.SignalMessage == nil {
		return nil, ebErr(ebms.InvalidHeader, "eb:Messaging holds no eb:SignalMessage", nil)
	}
	s, err := suiteFor(v.Profile)
	if err != nil {
		return nil, ebErr(ebms.ProcessingModeMismatch, "profile", err)
	}
	sec, ids, err := security(rc.env)
	if err != nil {
		return nil, err
	}
	sr, err := verifySignature(rc, sec, ids, s, v.Known)
	if err != nil {
		return nil, err
	}
	if err := sr.require(rc, mel, s.require); err != nil {
		return nil, err
	}
	m, err := ebms.ParseMessaging(sr.messaging)
	if err != nil {
		return nil, err
	}
	if err := checkTimestamp(sec, sr, v.Trust, lim.ClockSkew); err != nil {
		return nil, err
	}
	chain, err := checkTrust(v.Trust, sr.signer, sec)
	if err != nil {
		return nil, err
	}
	if v.Peer != nil && !v.Peer.Equal(sr.signer) {
		return nil, ebErr(ebms.FailedAuthentication, fmt.Sprintf("signal signed by %q, not by the peer's certificate", sr.signer.Subject.String()), nil)
	}
	return &VerifiedSignal{Messaging: m, Signer: sr.signer, Chain: chain, References: sr.refCopies()}, nil
}

// VerifyReceipt checks a received receipt against the message we sent: the
// signal verifies (Verify), it is a Receipt for sent.MessageID, and its
// NonRepudiationInformation holds exactly our ds:References with the same
// URI, digest method and digest value (AS4 Profile §5.1.8). A mismatch is
// EBMS:0302 InvalidReceipt.
func (v *SignalVerifier) VerifyReceipt(sent *Sent, contentType string, body io.Reader) (*VerifiedSignal, error) {
	if sent == nil {
		return nil, errors.New("as4: verify receipt: nothing sent")
	}
	vs, err := v.Verify(contentType, body)
	if err != nil {
		return nil, err
	}
	sm := vs.Messaging.SignalMessage
	if sm.Receipt == nil {
		return nil, ebErr(ebms.InvalidReceipt, "signal is not a receipt", nil)
	}
	if sm.Info.RefToMessageID != sent.MessageID {
		return nil, ebErr(ebms.InvalidReceipt, fmt.Sprintf("receipt refers to %q, we sent %q", sm.Info.RefToMessageID, sent.MessageID), nil)
	}
	if err := compareNRR(sent.References, sm.Receipt.NRReferences); err != nil {
		return nil, ebErr(ebms.InvalidReceipt, "non-repudiation information", err)
	}
	return vs, nil
}

type nrRef struct {
	uri, method string
	value       []byte
}

func readRef(el *etree.Element) (nrRef, error) {
	uri, ok := xmlsafe.Attr(el, "", "URI")
	if !ok {
		return nrRef{}, errors.New("ds:Reference without URI")
	}
	dm := xmlsafe.Children(el, xmldsig.Namespace, "DigestMethod")
	dv := xmlsafe.Children(el, xmldsig.Namespace, "DigestValue")
	if len(dm) != 1 || len(dv) != 1 {
		return nrRef{}, fmt.Errorf("ds:Reference %q without one DigestMethod and DigestValue", uri)
	}
	alg, _ := xmlsafe.Attr(dm[0], "", "Algorithm")
	val, err := decodeB64(dv[0].Text())
	if err != nil {
		return nrRef{}, fmt.Errorf("ds:Reference %q DigestValue: %w", uri, err)
	}
	return nrRef{uri: uri, method: alg, value: val}, nil
}

// compareNRR requires got to hold exactly the references of want (any order).
func compareNRR(want, got []*etree.Element) error {
	if len(want) != len(got) {
		return fmt.Errorf("receipt acknowledges %d parts, we signed %d", len(got), len(want))
	}
	byURI := map[string]nrRef{}
	for _, g := range got {
		r, err := readRef(g)
		if err != nil {
			return err
		}
		if _, dup := byURI[r.uri]; dup {
			return fmt.Errorf("reference %q acknowledged twice", r.uri)
		}
		byURI[r.uri] = r
	}
	for _, w := range want {
		r, err := readRef(w)
		if err != nil {
			return err
		}
		g, ok := byURI[r.uri]
		if !ok {
			return fmt.Errorf("reference %q not acknowledged", r.uri)
		}
		if g.method != r.method || subtle.ConstantTimeCompare(g.value, r.value) != 1 {
			return fmt.Errorf("reference %q acknowledged with another digest", r.uri)
		}
	}
	return nil
}

// SentFromMessage reads the MessageId and the signed ds:Reference elements
// from a message we packed earlier (for example one stored on disk), without
// decrypting it. Use it only on our own messages: nothing is verified.
func SentFromMessage(contentType string, body io.Reader) (*Sent, error) {
	rc, err := readMessage(contentType, body, DefaultLimits)
	if err != nil {
		return nil, err
	}
	_, m, err := rc.messaging()
	if err != nil {
		return nil, err
	}
	if m.UserMessage == nil {
		return nil, ebErr(ebms.InvalidHeader, "not a user message", nil)
	}
	sec, _, err := security(rc.env)
	if err != nil {
		return nil, err
	}
	sig, err := xmldsig.ParseSignature(sec.Signature)
	if err != nil {
		return nil, ebErr(ebms.FailedAuthentication, "ds:Signature", err)
	}
	s := &Sent{MessageID: m.UserMessage.Info.MessageID}
	for _, r := range sig.RefElements {
		s.References = append(s.References, copyInScope(r))
	}
	return s, nil
}

func decodeB64(s string) ([]byte, error) {
	var buf bytes.Buffer
	for _, r := range s {
		if !strings.ContainsRune(" \t\r\n", r) {
			buf.WriteRune(r)
		}
	}
	return base64.StdEncoding.DecodeString(buf.String())
}
