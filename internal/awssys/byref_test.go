package awssys

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/edge/byref"
	"github.com/brevduva/brevduva/infra/aws/awstest"
)

// engineStub records what reaches Receive and answers like the engine.
type engineStub struct {
	ct   string
	body []byte
}

func (e *engineStub) Receive(_ context.Context, _, ct string, body io.Reader) (msh.AS4Response, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return msh.AS4Response{}, err
	}
	e.ct, e.body = ct, b
	return msh.AS4Response{Status: http.StatusOK, ContentType: "application/soap+xml", Body: []byte("<receipt/>")}, nil
}

// stagingS3 is gofakes3 in process on 127.0.0.1 (a real S3 API server; it does not check
// signatures) with one bucket.
func stagingS3(t *testing.T) S3Objects {
	t.Helper()
	ts := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	t.Cleanup(ts.Close)
	api := s3.New(s3.Options{BaseEndpoint: aws.String(ts.URL), Region: awstest.Region, Credentials: awstest.Credentials,
		UsePathStyle: true, HTTPClient: awstest.HTTPClient})
	if _, err := api.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("staging")}); err != nil {
		t.Fatal(err)
	}
	return S3Objects{API: api}
}

func put(t *testing.T, o S3Objects, key string, b []byte) {
	t.Helper()
	if _, err := o.API.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(key),
		Body: bytes.NewReader(b)}); err != nil {
		t.Fatal(err)
	}
}

func exists(o S3Objects, key string) bool {
	_, _, err := o.Open(context.Background(), "staging", key)
	return err == nil
}

func callByRef(t *testing.T, h http.Handler, secret string, at time.Time, ref byref.Ref) *httptest.ResponseRecorder {
	t.Helper()
	body, err := byref.Marshal(ref)
	if err != nil {
		t.Fatal(err)
	}
	ts, sig := byref.Sign([]byte(secret), at, body)
	r := httptest.NewRequest(http.MethodPost, byref.Path, bytes.NewReader(body))
	r.Header.Set(byref.HeaderTime, ts)
	r.Header.Set(byref.HeaderSignature, sig)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestByRef(t *testing.T) {
	objs := stagingS3(t)
	now := time.Unix(1_790_000_000, 0)
	eng := &engineStub{}
	small := pmode.EDelivery115()
	small.MaxMessageBytes = 1000
	h, err := NewAS4Routes(eng, "kommun-b", small, &ByRefOptions{Secret: []byte("k"), Bucket: "staging", Objects: objs,
		Now: func() time.Time { return now }}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("--b1\r\nContent-Type: application/soap+xml\r\n\r\n<env/>\r\n--b1--\r\n")
	ref := byref.Ref{Bucket: "staging", Key: "inbound/a", Size: int64(len(msg)), ContentType: "multipart/related; boundary=b1",
		ClientCert: &byref.ClientCert{Verified: true, FingerprintSHA256: "ab12"}}

	put(t, objs, ref.Key, msg)
	w := callByRef(t, h, "k", now, ref)
	if w.Code != http.StatusOK || w.Body.String() != "<receipt/>" || !bytes.Equal(eng.body, msg) || eng.ct != ref.ContentType {
		t.Fatalf("by-ref: %d %q, engine got %q %q", w.Code, w.Body, eng.ct, eng.body)
	}
	if exists(objs, ref.Key) {
		t.Error("staged object not deleted after receive")
	}

	put(t, objs, ref.Key, msg)
	eng.body = nil
	if w := callByRef(t, h, "wrong", now, ref); w.Code != http.StatusUnauthorized || eng.body != nil {
		t.Errorf("wrong secret: %d, engine called %v", w.Code, eng.body != nil)
	}
	if w := callByRef(t, h, "k", now.Add(-byref.Window-time.Second), ref); w.Code != http.StatusUnauthorized {
		t.Errorf("stale timestamp: %d", w.Code)
	}
	other := ref
	other.Bucket = "payloads"
	if w := callByRef(t, h, "k", now, other); w.Code != http.StatusBadRequest {
		t.Errorf("other bucket: %d", w.Code)
	}
	if !exists(objs, ref.Key) {
		t.Fatal("a refused call deleted the object")
	}
	liar := ref
	liar.Size++
	if w := callByRef(t, h, "k", now, liar); w.Code != http.StatusBadRequest || eng.body != nil {
		t.Errorf("size mismatch: %d", w.Code)
	}

	big := bytes.Repeat([]byte("x"), 1001)
	put(t, objs, "inbound/big", big)
	bigRef := ref
	bigRef.Key, bigRef.Size = "inbound/big", int64(len(big))
	w = callByRef(t, h, "k", now, bigRef)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "EBMS:0004") || eng.body != nil {
		t.Errorf("over the PMode cap: %d %.200s", w.Code, w.Body)
	}
	if exists(objs, bigRef.Key) {
		t.Error("refused staged object not deleted")
	}

	// Every other path is still the buffered AS4 handler.
	r := httptest.NewRequest(http.MethodPost, "/as4", bytes.NewReader(msg))
	r.Header.Set("Content-Type", ref.ContentType)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !bytes.Equal(eng.body, msg) {
		t.Errorf("buffered path: %d", w.Code)
	}
}

func TestByRefFromEnv(t *testing.T) {
	if o, err := ByRefFromEnv(MapEnv(nil), nil); o != nil || err != nil {
		t.Errorf("without a secret: %v %v", o, err)
	}
	if _, err := ByRefFromEnv(MapEnv(map[string]string{EnvEdgeSecret: "k"}), &Clients{}); !errors.Is(err, ErrMissing) {
		t.Errorf("secret without bucket: %v", err)
	}
	o, err := ByRefFromEnv(MapEnv(map[string]string{EnvEdgeSecret: "k", EnvEdgeBucket: "b"}), &Clients{})
	if err != nil || o.Bucket != "b" || string(o.Secret) != "k" {
		t.Errorf("%+v %v", o, err)
	}
}
