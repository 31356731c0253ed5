package as4_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/soap"
)

func TestLimits(t *testing.T) {
	w := world115(t)
	// 4 MiB of zeros gzip to a few KiB: a small bomb.
	bomb := as4.Payload{ContentID: "bomb", MimeType: "application/octet-stream", Data: make([]byte, 4<<20)}
	ct, msg, _ := pack(t, w, bomb)
	if len(msg) > 64<<10 {
		t.Fatalf("message of %d bytes; the payload should compress", len(msg))
	}

	u := w.unpacker()
	lim := as4.DefaultLimits
	lim.MaxDecompressed = 1 << 20
	u.Limits = &lim
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); !isCode(err, ebms.DecompressionFailure) {
		t.Fatalf("gzip bomb over MaxDecompressed: %v", err)
	}
	lim.MaxDecompressed = 8 << 20
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); err != nil {
		t.Fatalf("within MaxDecompressed: %v", err)
	}

	// Attachments together over MaxAttachmentBytes.
	lim.MaxAttachmentBytes = 1 << 10
	if _, err := u.Unpack(ct, bytes.NewReader(msg)); !isCode(err, ebms.MIMEInconsistency) {
		t.Fatalf("attachments over MaxAttachmentBytes: %v", err)
	}
}

func TestMustUnderstand(t *testing.T) {
	w := world115(t)
	ct, msg, _ := pack(t, w, xhe())
	// A header block we do not understand, targeted at us, with mustUnderstand.
	msg = bytes.Replace(msg, []byte("<S12:Header>"), []byte(`<S12:Header><x:Unknown xmlns:x="urn:x" S12:mustUnderstand="true"/>`), 1)
	_, err := w.unpacker().Unpack(ct, bytes.NewReader(msg))
	if !isCode(err, ebms.InvalidHeader) || !errors.Is(err, soap.ErrMustUnderstand) {
		t.Fatalf("unknown mustUnderstand header: %v", err)
	}
}
