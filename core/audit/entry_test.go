package audit_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/audit/audittest"
)

func sample() audit.Entry {
	ev := audittest.Event("kommun-a", 7)
	ev.At = time.Date(2026, 3, 1, 12, 0, 0, 123, time.UTC)
	ev.ErrorCode, ev.Receipt, ev.APCert = "EBMS:0301", "REJECTED", audit.Fingerprint([]byte("der"))
	return audit.Entry{Event: ev, Seq: 42, Prev: [32]byte{1, 2, 3}}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	e := sample()
	b, err := audit.Encode(&e)
	if err != nil {
		t.Fatal(err)
	}
	d, err := audit.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if d != e {
		t.Fatalf("decoded %+v\nwant    %+v", d, e)
	}
	b2, err := audit.Encode(&d)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs: %v", err)
	}
}

// Each field takes part in the hash: changing any one changes it.
func TestEveryFieldIsHashed(t *testing.T) {
	e := sample()
	if _, err := audit.Encode(&e); err != nil {
		t.Fatal(err)
	}
	base := e.Hash
	mutations := []func(*audit.Entry){
		func(e *audit.Entry) { e.Seq++ },
		func(e *audit.Entry) { e.Prev[0] ^= 1 },
		func(e *audit.Entry) { e.At = e.At.Add(1) },
		func(e *audit.Entry) { e.Tenant += "x" },
		func(e *audit.Entry) { e.MessageID += "x" },
		func(e *audit.Entry) { e.Checkpoint = "1:x" },
		func(e *audit.Entry) { e.Receipt = "" },
		// moving bytes between neighbouring fields changes it too (length prefixes)
		func(e *audit.Entry) { e.Sender, e.SenderFunction = e.Sender[:4], e.Sender[4:] },
	}
	for i, m := range mutations {
		c := e
		m(&c)
		if _, err := audit.Encode(&c); err != nil {
			t.Fatal(err)
		}
		if c.Hash == base {
			t.Errorf("mutation %d left the hash unchanged", i)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	e := sample()
	good, err := audit.Encode(&e)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":          nil,
		"other magic":    append([]byte("BVA2"), good[4:]...),
		"trailing byte":  append(bytes.Clone(good), 0),
		"truncated":      good[:len(good)-1],
		"hash flipped":   append(bytes.Clone(good[:len(good)-1]), good[len(good)-1]^1),
		"body flipped":   flip(good, 60),
		"oversized blob": make([]byte, audit.MaxRecord+1),
	}
	for name, b := range cases {
		if _, err := audit.Decode(b); !errors.Is(err, audit.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

func TestValidate(t *testing.T) {
	for name, ev := range map[string]audit.Event{
		"no tenant":  {Type: audit.TypeState},
		"no type":    {Tenant: "t"},
		"long field": {Tenant: "t", Type: audit.TypeState, Detail: strings.Repeat("x", audit.MaxField+1)},
		"not utf-8":  {Tenant: "t", Type: audit.TypeState, Reason: "\xff"},
	} {
		if err := ev.Validate(); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestParseAnchor(t *testing.T) {
	a := audit.Anchor{Seq: 17, Hash: [32]byte{0xab}}
	got, err := audit.ParseAnchor(a.String())
	if err != nil || got != a {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	for _, s := range []string{"", "17", "0:" + audit.HashHex(a.Hash), "x:" + audit.HashHex(a.Hash), "17:abc"} {
		if _, err := audit.ParseAnchor(s); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// FuzzDecode: Decode never panics, and whatever it accepts re-encodes byte for byte.
func FuzzDecode(f *testing.F) {
	e := sample()
	good, err := audit.Encode(&e)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:60])
	f.Add([]byte("BVA1"))
	empty := audit.Entry{Event: audit.Event{Tenant: "t", Type: audit.TypePruned}, Seq: 1}
	b, _ := audit.Encode(&empty)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := audit.Decode(b)
		if err != nil {
			return
		}
		again, err := audit.Encode(&d)
		if err != nil {
			t.Fatalf("decoded entry does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical: %x re-encodes as %x", b, again)
		}
	})
}
