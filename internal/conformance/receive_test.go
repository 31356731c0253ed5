package conformance

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/as4"
)

// Brevduva as the receiving MSH: a test driver with Kommun A's AP keys posts to
// Kommun B's AS4 endpoint over HTTPS with mutual TLS.

// TA01: a one-way push is answered with an NRR receipt and HTTP 2xx.
func TestAS4_CP_TA01_OneWayReceiptNRR(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct, body := m.pack(t)
	code, rct, b := post(t, ct, body)
	if code/100 != 2 || !strings.Contains(rct, "soap+xml") || !isReceipt(b) || !bytes.Contains(b, []byte(m.id)) {
		t.Fatalf("HTTP %d %q: %.400s", code, rct, b)
	}
}

// TA21: a SOAP-with-Attachments (multipart/related) message gets an NRR receipt.
func TestAS4_CP_TA21_SwAReceipt(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct, body := m.pack(t)
	if !strings.HasPrefix(ct, "multipart/related") {
		t.Fatalf("not SwA: %q", ct)
	}
	if code, _, b := post(t, ct, body); code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("HTTP %d: %.400s", code, b)
	}
}

// TA22: a simple SOAP message (no MIME envelope) is handled: the AP answers with a SOAP
// ebMS signal, not a transport failure. (SDK's P-Mode requires the XHE as a payload, so
// the answer is a signed ebMS error.)
func TestAS4_CP_TA22_SimpleSOAP(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	m.payloads = nil
	m.um.Payloads = nil
	ct, body := m.pack(t)
	// The packer always writes MIME; the SOAP envelope alone is its root part (signed,
	// no attachment references).
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatal(err)
	}
	part, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	soap, err := io.ReadAll(part)
	if err != nil || !bytes.Contains(soap, []byte("Envelope")) {
		t.Fatalf("root part: %v %.200s", err, soap)
	}
	code, rct, b := post(t, "application/soap+xml; charset=utf-8", soap)
	if !strings.Contains(rct, "soap+xml") || ebmsError(b) == "" {
		t.Fatalf("HTTP %d %q: %.400s", code, rct, b)
	}
	if n := mailCount(t, "registrator", m.id); n != 0 {
		t.Fatalf("delivered %d", n)
	}
}

// TA10: a duplicate (same eb:MessageId) is answered with a receipt again and delivered once.
func TestAS4_CP_TA10_DuplicateElimination(t *testing.T) {
	system(t)
	m := newMessage(t, "socialtjansten")
	ct, body := m.pack(t)
	for i := range 2 {
		if code, _, b := post(t, ct, body); code != http.StatusOK || !isReceipt(b) {
			t.Fatalf("post %d: HTTP %d: %.400s", i, code, b)
		}
	}
	// Packed again (new signature, same MessageId): still one delivery.
	ct2, body2 := m.pack(t)
	if code, _, b := post(t, ct2, body2); code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("repacked: HTTP %d: %.400s", code, b)
	}
	waitMail(t, "socialtjansten", m.id)
	time.Sleep(300 * time.Millisecond) // a second delivery, if any, would be done by now
	if n := mailCount(t, "socialtjansten", m.id); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
}

// TA32 (and TA34, TA38): a payload compressed, then signed, then encrypted is accepted
// and delivered decompressed, byte for byte.
func TestAS4_CP_TA32_DeliveredDecompressed(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct, body := m.pack(t)
	if !bytes.Contains(body, []byte("application/gzip")) && !bytes.Contains(body, []byte("CompressionType")) {
		t.Fatal("the driver did not compress")
	}
	if code, _, b := post(t, ct, body); code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("HTTP %d: %.400s", code, b)
	}
	got := waitMail(t, "registrator", m.id)
	if _, rest, ok := bytes.Cut(m.plain, []byte("?>")); !ok || !bytes.Equal(got, rest) {
		t.Fatalf("delivered message differs:\n%.300s\nwant\n%.300s", got, rest)
	}
}

// TA34: compress-then-sign is accepted (the SwA attachment signature covers the
// compressed, unencrypted part; Brevduva's packer and the SUT agree on it).
func TestAS4_CP_TA34_CompressThenSign(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct, body := m.pack(t)
	if code, _, b := post(t, ct, body); code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("HTTP %d: %.400s", code, b)
	}
}

// TA38: compress, sign and encrypt together are accepted; the payload part on the wire
// is an encrypted part (no plain gzip magic, no XHE text).
func TestAS4_CP_TA38_CompressSignEncrypt(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct, body := m.pack(t)
	if bytes.Contains(body, []byte("\x1f\x8b\x08")) || bytes.Contains(body, []byte("XHE")) && bytes.Contains(body, []byte("konformans")) {
		t.Fatal("payload not encrypted on the wire")
	}
	if !bytes.Contains(body, []byte("aes128-gcm")) {
		t.Fatal("no AES-128-GCM EncryptedData")
	}
	if code, _, b := post(t, ct, body); code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("HTTP %d: %.400s", code, b)
	}
}

// TA13 (receiving side): a message encrypted for another certificate than the
// receiver's is refused with an ebMS error and not delivered.
func TestAS4_CP_TA13_EncryptedForReceiver(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	m.packer.Recipient = leaf(t, "ap-a").Cert // not B's certificate
	ct, body := m.pack(t)
	code, _, b := post(t, ct, body)
	if e := ebmsError(b); e == "" || isReceipt(b) {
		t.Fatalf("HTTP %d: %.400s", code, b)
	}
	if n := mailCount(t, "registrator", m.id); n != 0 {
		t.Fatalf("delivered %d", n)
	}
}

// DR_TA01: the receiver validates the sender's signing certificate chain: a message
// signed by an AP certificate from another CA is refused (EBMS:0101) and not delivered.
func TestAS4_DR_TA01_SenderChainValidation(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	rogue := leaf(t, "ap-rogue")
	m.packer.Sender = as4.Sender{Key: rogue.Key, Cert: rogue.Cert}
	ct, body := m.pack(t)
	code, _, b := post(t, ct, body)
	if e := ebmsError(b); e != "EBMS:0101" {
		t.Fatalf("HTTP %d error %q: %.400s", code, e, b)
	}
	if n := mailCount(t, "registrator", m.id); n != 0 {
		t.Fatalf("delivered %d", n)
	}
}

// TA12 (receiving side): a message whose signed eb:Messaging was changed after signing
// is refused (every reference is verified).
func TestAS4_CP_TA12_SignedPartsVerified(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct, body := m.pack(t)
	i := bytes.Index(body, []byte(m.id))
	if i < 0 {
		t.Fatal("no MessageId in the message")
	}
	tampered := bytes.Clone(body)
	tampered[i+len(m.id)-1] ^= 1 // last digit of eb:MessageId
	code, _, b := post(t, ct, tampered)
	if e := ebmsError(b); e == "" || isReceipt(b) {
		t.Fatalf("HTTP %d: %.400s", code, b)
	}
}
