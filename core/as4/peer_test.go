package as4_test

import (
	"bytes"
	"testing"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/trust"
)

// TestSignalPeer: with Peer set, only that certificate may sign a signal; another AP
// certificate of the same CA (which chain validation accepts) is refused with
// EBMS:0101, for receipts and error signals alike.
func TestSignalPeer(t *testing.T) {
	w := world115(t)
	ct, msg, sent := pack(t, w, xhe())
	v, err := w.unpacker().Unpack(ct, bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(p party) (receipt, errSig []byte) {
		b := &as4.SignalBuilder{Profile: w.profile, Sender: as4.Sender{Key: p.signKey, Cert: p.signCert}, Now: fixedNow}
		r, err := b.Receipt(v)
		if err != nil {
			t.Fatal(err)
		}
		e, err := b.ErrorSignal(sent.MessageID, ebms.NewError(ebms.ProcessingModeMismatch, "x", nil))
		if err != nil {
			t.Fatal(err)
		}
		return r, e
	}
	sv := &as4.SignalVerifier{Profile: w.profile, Trust: trust.NewStore(w.roots, fixedNow), Peer: w.b.signCert}
	okReceipt, okErr := sign(w.b)
	if _, err := sv.VerifyReceipt(sent, as4.SignalContentType, bytes.NewReader(okReceipt)); err != nil {
		t.Fatalf("receipt signed by the peer: %v", err)
	}
	if _, err := sv.Verify(as4.SignalContentType, bytes.NewReader(okErr)); err != nil {
		t.Fatalf("error signed by the peer: %v", err)
	}
	badReceipt, badErr := sign(w.a) // same AP CA, not the peer
	if _, err := sv.VerifyReceipt(sent, as4.SignalContentType, bytes.NewReader(badReceipt)); !isCode(err, ebms.FailedAuthentication) {
		t.Fatalf("receipt signed by another AP: %v", err)
	}
	if _, err := sv.Verify(as4.SignalContentType, bytes.NewReader(badErr)); !isCode(err, ebms.FailedAuthentication) {
		t.Fatalf("error signed by another AP: %v", err)
	}
	sv.Peer = nil // without Peer, the chain alone decides (the gap Peer closes)
	if _, err := sv.VerifyReceipt(sent, as4.SignalContentType, bytes.NewReader(badReceipt)); err != nil {
		t.Fatalf("without Peer: %v", err)
	}
}
