package local

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	in := outboundRec{State: "SUBMITTED", Version: 3, Attempts: 2, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		History: []eventRec{{State: "NEW", At: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}}, Meta: map[string]string{"k": "v"}}
	b, err := encodeRecord(in)
	if err != nil {
		t.Fatal(err)
	}
	var out outboundRec
	if err := decodeRecord(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v, want %+v", out, in)
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("bd"), []byte("xx\x01{}"), []byte("bd\x02{}"), []byte("bd\x01{"), []byte("bd\x01[]")} {
		var r outboundRec
		if err := decodeRecord(b, &r); !errors.Is(err, errCorrupt) {
			t.Errorf("decodeRecord(%q) = %v, want errCorrupt", b, err)
		}
	}
}

func TestTimeKeyOrder(t *testing.T) {
	times := []time.Time{{}, time.Unix(-5, 0), time.Unix(0, 1), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC)}
	for i := 1; i < len(times); i++ {
		a, b := timeKey(times[i-1]), timeKey(times[i])
		if string(a) >= string(b) {
			t.Errorf("timeKey(%v) >= timeKey(%v)", times[i-1], times[i])
		}
		if !timeFromKey(b).Equal(times[i]) {
			t.Errorf("timeFromKey(timeKey(%v)) = %v", times[i], timeFromKey(b))
		}
	}
	if !timeFromKey(timeKey(time.Time{})).IsZero() {
		t.Error("zero time does not round-trip")
	}
}

// FuzzDecodeRecord: any stored bytes either decode or give errCorrupt, never panic, and
// what decodes re-encodes to a stable canonical form.
func FuzzDecodeRecord(f *testing.F) {
	for _, v := range []any{
		outboundRec{State: "NEW", Version: 1, History: []eventRec{{State: "NEW"}}},
		queueRec{Body: []byte("x"), Attempts: 2, Leased: true},
		mailRec{Seq: 7, Label: "åäö"},
		inboundRec{Receipt: []byte("<r/>"), PayloadNames: []string{"a"}},
	} {
		b, err := encodeRecord(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("bd\x01null"))
	f.Fuzz(func(t *testing.T, b []byte) {
		targets := []func() any{
			func() any { return new(outboundRec) }, func() any { return new(queueRec) },
			func() any { return new(mailRec) }, func() any { return new(inboundRec) }, func() any { return new(deadRec) },
		}
		for _, mk := range targets {
			v := mk()
			if err := decodeRecord(b, v); err != nil {
				if !errors.Is(err, errCorrupt) {
					t.Fatalf("error %v is not errCorrupt", err)
				}
				continue
			}
			again, err := encodeRecord(reflect.ValueOf(v).Elem().Interface())
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			w := mk()
			if err := decodeRecord(again, w); err != nil {
				t.Fatalf("re-decode of %q: %v", again, err)
			}
			third, err := encodeRecord(reflect.ValueOf(w).Elem().Interface())
			if err != nil || string(third) != string(again) {
				t.Fatalf("encoding is not stable: %q then %q (%v)", again, third, err)
			}
		}
	})
}
