package byref

import (
	"errors"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	secret, now := []byte("s3cret"), time.Unix(1_790_000_000, 0)
	body := []byte(`{"bucket":"b"}`)
	ts, sig := Sign(secret, now, body)
	if err := Verify(secret, ts, sig, body, now.Add(Window)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret  []byte
		ts, sig string
		body    []byte
		now     time.Time
	}{
		"tampered body": {secret, ts, sig, []byte(`{"bucket":"c"}`), now},
		"wrong secret":  {[]byte("other"), ts, sig, body, now},
		"no secret":     {nil, ts, sig, body, now},
		"too old":       {secret, ts, sig, body, now.Add(Window + time.Second)},
		"from future":   {secret, ts, sig, body, now.Add(-Window - time.Second)},
		"bad timestamp": {secret, "x", sig, body, now},
		"bad hex":       {secret, ts, "zz", body, now},
		"other time":    {secret, "1790000001", sig, body, now},
	} {
		if err := Verify(c.secret, c.ts, c.sig, c.body, c.now); !errors.Is(err, ErrAuth) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParse(t *testing.T) {
	good := Ref{Bucket: "b", Key: KeyPrefix + "x", Size: 10, ContentType: "multipart/related", ClientCert: &ClientCert{Verified: true, FingerprintSHA256: "ab"}}
	b, err := Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil || got.Key != good.Key || got.ClientCert == nil || got.ClientCert.FingerprintSHA256 != "ab" {
		t.Fatalf("%+v %v", got, err)
	}
	for _, s := range []string{`{`, `{"key":"inbound/x","size":1,"contentType":"a"}`,
		`{"bucket":"b","key":"other/x","size":1,"contentType":"a"}`,
		`{"bucket":"b","key":"inbound/../x","size":1,"contentType":"a"}`,
		`{"bucket":"b","key":"inbound/x","size":0,"contentType":"a"}`,
		`{"bucket":"b","key":"inbound/x","size":1}`} {
		if _, err := Parse([]byte(s)); err == nil {
			t.Errorf("accepted %s", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"bucket":"b","key":"inbound/x","size":1,"contentType":"a"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err == nil && r.Validate() != nil {
			t.Fatal("parsed an invalid ref")
		}
	})
}
