package as4_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/x25519cert"
)

// party is one access point's keys in a profile.
type party struct {
	signKey  crypto.Signer
	signCert *x509.Certificate
	encCert  *x509.Certificate
	rcpt     as4.Recipient
}

type world struct {
	profile as4.Profile
	a, b    party
	roots   []*x509.Certificate
}

var (
	ed20Once sync.Once
	ed20     *world
	ed20Err  error
)

func world115(t testing.TB) *world {
	pki := demopki.ForTest(t)
	mk := func(name string) party {
		l := pki.Leaf(name)
		return party{signKey: l.Key, signCert: l.Cert, encCert: l.Cert,
			rcpt: as4.Recipient{Cert: l.Cert, Decrypter: l.Key.(crypto.Decrypter)}}
	}
	return &world{profile: pmode.EDelivery115(), a: mk("ap-a"), b: mk("ap-b"),
		roots: []*x509.Certificate{pki.CA("ap-ca").Cert.Cert}}
}

// world20 builds an eDelivery AS4 2.0 PKI: Ed25519 signing and X25519 encryption certificates.
func world20(t testing.TB) *world {
	t.Helper()
	ed20Once.Do(func() {
		ca, err := demopki.NewCA("Brevduva Test AP CA 2.0", demopki.Options{Kind: demopki.Ed25519})
		if err != nil {
			ed20Err = err
			return
		}
		mk := func(cn string) (party, error) {
			sig, err := ca.Issue(cn, demopki.Options{Kind: demopki.Ed25519})
			if err != nil {
				return party{}, err
			}
			xk, err := ecdh.X25519().GenerateKey(rand.Reader)
			if err != nil {
				return party{}, err
			}
			enc, err := x25519cert.Issue(ca, cn+" enc", xk.PublicKey(), demopki.Options{})
			if err != nil {
				return party{}, err
			}
			return party{signKey: sig.Key, signCert: sig.Cert, encCert: enc, rcpt: as4.Recipient{Cert: enc, Agreement: xk}}, nil
		}
		a, err := mk("AP0001-ED")
		if err != nil {
			ed20Err = err
			return
		}
		b, err := mk("AP0002-ED")
		if err != nil {
			ed20Err = err
			return
		}
		ed20 = &world{profile: pmode.EDelivery20(), a: a, b: b, roots: []*x509.Certificate{ca.Cert.Cert}}
	})
	if ed20Err != nil {
		t.Fatal(ed20Err)
	}
	return ed20
}

var testNow = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return time.Now() }

func userMessage() *ebms.UserMessage {
	return &ebms.UserMessage{
		From: ebms.Party{ID: "AP0001-BREVDUVA-DEMO", Type: "urn:fdc:digg.se:edelivery:transportprofile:as4:partytype:ap", Role: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator"},
		To:   ebms.Party{ID: "AP0002-BREVDUVA-DEMO", Type: "urn:fdc:digg.se:edelivery:transportprofile:as4:partytype:ap", Role: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder"},
		Collaboration: ebms.CollaborationInfo{
			Service:        ebms.Service{Value: "bdx:noprocess", Type: "urn:fdc:digg.se:edelivery:process"},
			Action:         "busdox-docid-qns::urn:riv:infrastructure:messaging:MessageWithAttachments:3::messagePayload##3.0::tm-base-ext-sigenc",
			ConversationID: "5b1d1f4e-8a3c-4a43-9f53-1d2b9d7c1a01",
		},
		Properties: []ebms.Property{
			{Name: "originalSender", Type: "iso6523-actorid-upis", Value: "0203:kommun-a.se"},
			{Name: "finalRecipient", Type: "iso6523-actorid-upis", Value: "0203:kommun-b.se"},
		},
	}
}

func (w *world) packer() *as4.Packer {
	return &as4.Packer{Profile: w.profile, Sender: as4.Sender{Key: w.a.signKey, Cert: w.a.signCert}, Recipient: w.b.encCert, Now: fixedNow}
}

func (w *world) unpacker() *as4.Unpacker {
	return &as4.Unpacker{Profile: w.profile, Recipient: w.b.rcpt, Trust: trust.NewStore(w.roots, fixedNow)}
}

func pack(t testing.TB, w *world, payloads ...as4.Payload) (string, []byte, *as4.Sent) {
	t.Helper()
	var buf bytes.Buffer
	ct, sent, err := w.packer().Pack(&buf, userMessage(), payloads)
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	return ct, buf.Bytes(), sent
}

func xhe() as4.Payload {
	return as4.Payload{ContentID: "message", MimeType: "text/xml", CharacterSet: "UTF-8",
		Data: []byte(`<?xml version="1.0" encoding="UTF-8"?><XHE xmlns="http://docs.oasis-open.org/bdxr/ns/XHE/1/ExchangeHeaderEnvelope"><x>åäö</x></XHE>`)}
}

func TestRoundTrip(t *testing.T) {
	for _, w := range []*world{world115(t), world20(t)} {
		t.Run(w.profile.ID, func(t *testing.T) {
			pdf := as4.Payload{ContentID: "attachment", MimeType: "application/pdf", Data: bytes.Repeat([]byte("%PDF-1.7\n"), 500)}
			ct, msg, sent := pack(t, w, xhe(), pdf)
			if !strings.HasPrefix(ct, "multipart/related;") {
				t.Fatalf("Content-Type %q", ct)
			}
			if bytes.Contains(msg, []byte("åäö")) || bytes.Contains(msg, []byte("%PDF")) {
				t.Fatal("payload visible on the wire")
			}
			v, err := w.unpacker().Unpack(ct, bytes.NewReader(msg))
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if len(v.Payloads) != 2 || !bytes.Equal(v.Payloads[0].Data, xhe().Data) || !bytes.Equal(v.Payloads[1].Data, pdf.Data) {
				t.Fatalf("payloads %+v", v.Payloads)
			}
			if v.Payloads[0].MimeType != "text/xml" || v.Payloads[0].CharacterSet != "UTF-8" || v.Payloads[0].ContentID != "message" {
				t.Fatalf("payload 0 %+v", v.Payloads[0])
			}
			if got := v.Messaging.UserMessage.Info.MessageID; got != sent.MessageID {
				t.Fatalf("MessageId %q, sent %q", got, sent.MessageID)
			}
			if !v.Signer.Equal(w.a.signCert) || len(v.References) != 4 {
				t.Fatalf("signer %s, %d references", v.Signer.Subject, len(v.References))
			}

			// Receipt, signed by B, checked by A against what A sent.
			rb := &as4.SignalBuilder{Profile: w.profile, Sender: as4.Sender{Key: w.b.signKey, Cert: w.b.signCert}, Now: fixedNow}
			receipt, err := rb.Receipt(v)
			if err != nil {
				t.Fatalf("Receipt: %v", err)
			}
			sv := &as4.SignalVerifier{Profile: w.profile, Trust: trust.NewStore(w.roots, fixedNow)}
			if _, err := sv.VerifyReceipt(sent, as4.SignalContentType, bytes.NewReader(receipt)); err != nil {
				t.Fatalf("VerifyReceipt: %v\n%s", err, receipt)
			}
			// The stored message gives the same Sent.
			sent2, err := as4.SentFromMessage(ct, bytes.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sv.VerifyReceipt(sent2, as4.SignalContentType, bytes.NewReader(receipt)); err != nil {
				t.Fatalf("VerifyReceipt (stored message): %v", err)
			}
			// A receipt for another message, or with another digest, is refused.
			other := *sent
			other.MessageID = "other@x"
			if _, err := sv.VerifyReceipt(&other, as4.SignalContentType, bytes.NewReader(receipt)); !isCode(err, ebms.InvalidReceipt) {
				t.Fatalf("receipt for another message: %v", err)
			}
			_, _, sent3 := pack(t, w, xhe(), pdf) // same content, other ids and digests of Messaging
			sent3.MessageID = sent.MessageID
			if _, err := sv.VerifyReceipt(sent3, as4.SignalContentType, bytes.NewReader(receipt)); !isCode(err, ebms.InvalidReceipt) {
				t.Fatalf("receipt with other digests: %v", err)
			}
			tampered := bytes.Replace(receipt, []byte("DigestValue>"), []byte("DigestValue>A"), 1)
			if _, err := sv.VerifyReceipt(sent, as4.SignalContentType, bytes.NewReader(tampered)); err == nil {
				t.Fatal("tampered receipt verified")
			}

			// Error signal.
			es, err := rb.ErrorSignal(sent.MessageID, ebms.NewError(ebms.FailedDecryption, "secret detail", errors.New("cause")))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(es, []byte("secret detail")) {
				t.Fatal("security error detail sent to the peer")
			}
			vs, err := sv.Verify(as4.SignalContentType, bytes.NewReader(es))
			if err != nil {
				t.Fatalf("verify error signal: %v", err)
			}
			if e := vs.Messaging.SignalMessage.Errors; len(e) != 1 || e[0].Code != ebms.FailedDecryption {
				t.Fatalf("errors %+v", e)
			}
		})
	}
}

func isCode(err error, c ebms.Code) bool {
	got, ok := ebms.CodeOf(err)
	return ok && got == c
}
