package as4_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/trust"
)

// TestProfileDecides: the profile, not the code, decides the token reference
// form, the wsu:Timestamp and what a receiver accepts.
func TestProfileDecides(t *testing.T) {
	w := *world115(t)
	p := pmode.EDelivery115()
	p.Security.EmitTimestamp = true
	p.Security.TimestampLifetime = time.Minute
	p.Security.EmitTokenReference = pmode.TokenSKI
	w.profile = p
	ct, msg, _ := pack(t, &w, xhe())
	if !bytes.Contains(msg, []byte("wsu:Timestamp")) || !bytes.Contains(msg, []byte("X509SubjectKeyIdentifier")) {
		t.Fatal("profile asked for a Timestamp and an SKI reference")
	}
	if bytes.Count(msg, []byte("<wsse:BinarySecurityToken")) != 1 { // only the recipient's, for the EncryptedKey
		t.Fatal("an SKI-referenced signer must not travel as a BinarySecurityToken")
	}

	u := w.unpacker()
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); !isCode(err, ebms.FailedAuthentication) {
		t.Fatalf("SKI of an unknown signer: %v", err)
	}
	u.Known = append(u.Known, w.a.signCert) // e.g. the peer's certificate from SMP
	v, err := u.Unpack(ct, bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("SKI with the signer known: %v", err)
	}
	if len(v.References) != 4 { // Timestamp, Messaging, Body, attachment
		t.Fatalf("%d references", len(v.References))
	}

	// A receiver whose profile accepts BST references only.
	strict := pmode.EDelivery115()
	strict.Security.AcceptTokenReferences = []pmode.TokenReference{pmode.TokenBST}
	u.Profile = strict
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); !isCode(err, ebms.PolicyNoncompliance) {
		t.Fatalf("SKI under a BST-only profile: %v", err)
	}

	// The signed Timestamp has expired an hour later.
	u.Profile = pmode.EDelivery115()
	u.Trust = trust.NewStore(w.roots, func() time.Time { return time.Now().Add(time.Hour) })
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); !isCode(err, ebms.FailedAuthentication) {
		t.Fatalf("expired Timestamp: %v", err)
	}

	// An invalid profile is refused before anything else.
	bad := pmode.EDelivery115()
	bad.Security.SignatureMethod = ""
	u.Profile = bad
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); !isCode(err, ebms.ProcessingModeMismatch) {
		t.Fatalf("invalid profile: %v", err)
	}
	w.profile = bad
	if _, _, err := w.packer().Pack(&bytes.Buffer{}, userMessage(), nil); err == nil {
		t.Fatal("Pack with an invalid profile")
	}
}

// TestSelectRechecksProfile: a PMode chosen from the unverified header is
// chosen again from the verified one, and both must agree.
func TestSelectRechecksProfile(t *testing.T) {
	w := world115(t)
	ct, msg, _ := pack(t, w, xhe())
	u := w.unpacker()
	calls := 0
	u.Select = func(m *ebms.Messaging) (pmode.Profile, error) {
		calls++
		if calls == 1 {
			return pmode.EDelivery115(), nil
		}
		return pmode.EDelivery20(), nil // a header that changed between the looks
	}
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); !isCode(err, ebms.ProcessingModeMismatch) || calls != 2 {
		t.Fatalf("calls %d: %v", calls, err)
	}
	u.Select = func(*ebms.Messaging) (pmode.Profile, error) { return pmode.EDelivery115(), nil }
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
}
