package as4_test

import (
	"bytes"
	mrand "math/rand/v2"
	"testing"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// FuzzUnpack: Unpack never panics and every failure is an *ebms.Error.
func FuzzUnpack(f *testing.F) {
	w := world115(f)
	ct, msg, _ := pack(f, w, xhe())
	f.Add(ct, msg)
	for _, name := range []string{"helger.as4in", "dump-raw.as4out", "WrongCompression.mime", "MSHAS4Request.xml"} {
		c, b := capturedMessage(f, name)
		f.Add(c, b)
	}
	lim := as4.Limits{
		MIME:               mime.Limits{MaxParts: 8, MaxHeaderBytes: 4 << 10, MaxRootBytes: 1 << 20, MaxPartBytes: 1 << 20},
		XML:                xmlsafe.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxAttrs: 32, MaxAttrLen: 1 << 14, MaxElements: 10000},
		MaxAttachmentBytes: 2 << 20,
		MaxDecompressed:    1 << 20,
	}
	u := w.unpacker()
	u.Limits = &lim
	sv := &as4.SignalVerifier{Profile: w.profile, Trust: u.Trust, Limits: &lim}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		v, err := u.Unpack(contentType, bytes.NewReader(body))
		if err == nil {
			if v == nil || v.Messaging == nil || v.Signer == nil {
				t.Fatal("nil result without error")
			}
		} else if _, ok := ebms.CodeOf(err); !ok {
			t.Fatalf("error without an ebMS code: %v", err)
		}
		if _, err := sv.Verify(contentType, bytes.NewReader(body)); err != nil {
			if _, ok := ebms.CodeOf(err); !ok {
				t.Fatalf("signal: error without an ebMS code: %v", err)
			}
		}
	})
}

// TestUnpackMutations is a deterministic complement to FuzzUnpack that runs in
// every `go test`: 300 single-byte mutations of a packed message, each either
// verifies (a byte outside everything signed, such as the MIME preamble) or
// fails with an *ebms.Error; none panics.
func TestUnpackMutations(t *testing.T) {
	w := world115(t)
	ct, msg, _ := pack(t, w, xhe())
	u := w.unpacker()
	r := mrand.New(mrand.NewPCG(7, 11))
	refused := 0
	for i := 0; i < 300; i++ {
		m := bytes.Clone(msg)
		m[r.IntN(len(m))] ^= byte(1 + r.IntN(255))
		_, err := u.Unpack(ct, bytes.NewReader(m))
		if err != nil {
			refused++
			if _, ok := ebms.CodeOf(err); !ok {
				t.Fatalf("mutation %d: error without an ebMS code: %v", i, err)
			}
		}
	}
	if refused < 250 {
		t.Fatalf("only %d of 300 mutations refused", refused)
	}
	t.Logf("%d of 300 single-byte mutations refused", refused)
}
