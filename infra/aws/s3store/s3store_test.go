package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/infra/aws/s3store"
)

// The S3 API server is gofakes3 v1.2.0, in process on 127.0.0.1, unless
// BREVDUVA_S3_ENDPOINT names another (MinIO). What gofakes3 cannot check, and so these
// tests do not: request signatures and credentials (any signature passes, so the presigned
// PUT test proves the URL's shape and signed headers, not that S3 would accept them),
// SSE-KMS (the x-amz-server-side-encryption headers are accepted and ignored: nothing is
// encrypted and no KMS key is checked), bucket policies and IAM, S3's minimum part size of
// 5 MiB, and If-None-Match on CompleteMultipartUpload, which gofakes3 ignores: the test
// server wraps it in ifNoneMatchShim, which honours the header the adapter sends (and only
// that), so the adapter's use of it is tested but S3's own enforcement is not.

type server struct {
	api    *s3.Client
	bucket string
	http   *http.Client
	kmsKey func(tenant string) string
}

func newServer(t *testing.T) server {
	t.Helper()
	ctx := context.Background()
	ep := os.Getenv(awstest.EnvS3)
	kmsKey := tenantKey
	if ep != "" {
		// An external server (MinIO) knows only the KMS keys it was configured with:
		// BREVDUVA_S3_KMS_KEY names one for every tenant, or none (no SSE-KMS headers).
		kmsKey = func(string) string { return os.Getenv(awstest.EnvS3KMSKey) }
	} else {
		backend := s3mem.New()
		faker := gofakes3.New(backend, gofakes3.WithAutoBucket(true))
		ts := httptest.NewServer(ifNoneMatchShim(backend, faker.Server()))
		t.Cleanup(ts.Close)
		ep = ts.URL
	}
	api := s3.New(s3.Options{
		BaseEndpoint: aws.String(ep),
		Region:       awstest.Region,
		Credentials:  awstest.Credentials,
		UsePathStyle: true,
		HTTPClient:   awstest.HTTPClient,
	})
	bucket := awstest.Name("brevduva")
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return server{api: api, bucket: bucket, http: awstest.HTTPClient, kmsKey: kmsKey}
}

// ifNoneMatchShim makes CompleteMultipartUpload with If-None-Match: * fail with 412 when the
// object exists, as S3 does; gofakes3 v1.2.0 honours the header only on PutObject.
// Completes are serialised so that check and complete are one step.
func ifNoneMatchShim(backend gofakes3.Backend, next http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !r.URL.Query().Has("uploadId") || r.Header.Get("If-None-Match") != "*" {
			next.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		bucket, object, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if _, err := backend.HeadObject(bucket, object); err == nil {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusPreconditionFailed)
			xml.NewEncoder(w).Encode(struct {
				XMLName xml.Name `xml:"Error"`
				Code    string
				Message string
			}{Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func tenantKey(tenant string) string {
	return "arn:aws:kms:eu-north-1:111122223333:alias/brevduva-" + tenant
}

func TestContracts(t *testing.T) {
	mshtest.All{
		PayloadStore: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.PayloadStore] {
			srv := newServer(t)
			mk := func(t *testing.T) msh.PayloadStore {
				s, err := s3store.New(srv.api, srv.bucket, s3store.Options{KMSKeyID: srv.kmsKey, PartSize: s3store.MinPartSize})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			return mshtest.Instance[msh.PayloadStore]{Port: mk(t), Reopen: mk}
		},
	}.Run(t)
}

func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(7)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// onlyReader hides bytes.Reader's Seek and WriterTo, so the store must stream.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestMultipart puts payloads larger than a part: a three-part upload, put-if-absent on
// the multipart path, the size limit hit in a later part, and no leftover object after a
// body that fails in its second part.
func TestMultipart(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	s, err := s3store.New(srv.api, srv.bucket, s3store.Options{KMSKeyID: srv.kmsKey, PartSize: s3store.MinPartSize})
	if err != nil {
		t.Fatal(err)
	}
	data := pattern(2*s3store.MinPartSize + 12345)
	k := msh.PayloadKey{Tenant: "t1", Name: "big"}
	info, err := s.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, onlyReader{bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || info.SHA256 != sha256.Sum256(data) {
		t.Fatalf("info = %d %x", info.Size, info.SHA256)
	}
	rc, oi, err := s.OpenPayload(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) || oi.Size != int64(len(data)) {
		t.Fatalf("read back %d bytes (size %d, err %v), want %d", len(got), oi.Size, err, len(data))
	}
	if _, err := s.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, onlyReader{bytes.NewReader(data)}); !errors.Is(err, msh.ErrDuplicate) {
		t.Fatalf("second multipart put: %v, want ErrDuplicate", err)
	}

	// Racing multipart puts all pass the HeadObject check; the conditional complete picks
	// exactly one winner.
	race := msh.PayloadKey{Tenant: "t1", Name: "race"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 4 {
		wg.Go(func() {
			_, err := s.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: race}, onlyReader{bytes.NewReader(data)})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, msh.ErrDuplicate) {
				t.Errorf("racing multipart put: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d racing multipart puts won, want 1", wins)
	}

	// Exactly the part size: one full part, then EOF.
	exact := msh.PayloadKey{Tenant: "t1", Name: "exact"}
	if _, err := s.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: exact}, onlyReader{bytes.NewReader(data[:s3store.MinPartSize])}); err != nil {
		t.Fatal(err)
	}

	capped := msh.PayloadKey{Tenant: "t1", Name: "capped"}
	_, err = s.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: capped, Limit: int64(len(data) - 1)}, onlyReader{bytes.NewReader(data)})
	if !errors.Is(err, msh.ErrTooLarge) {
		t.Fatalf("over-limit multipart put: %v, want ErrTooLarge", err)
	}
	boom := errors.New("connection reset")
	broken := msh.PayloadKey{Tenant: "t1", Name: "broken"}
	_, err = s.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: broken}, io.MultiReader(bytes.NewReader(data[:s3store.MinPartSize+1]), errReader{boom}))
	if !errors.Is(err, boom) {
		t.Fatalf("failing multipart body: %v, want %v", err, boom)
	}
	for _, k := range []msh.PayloadKey{capped, broken} {
		if _, _, err := s.OpenPayload(ctx, k); !errors.Is(err, msh.ErrNotFound) {
			t.Fatalf("OpenPayload(%s) after a failed multipart put: %v", k.Name, err)
		}
	}
	uploads, err := srv.api.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(srv.bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(uploads.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left behind", len(uploads.Uploads))
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestPresignPut uploads through a presigned URL as a browser would and reads the payload
// back through the store. (gofakes3 does not verify the signature; see the file comment.)
func TestPresignPut(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	s, err := s3store.New(srv.api, srv.bucket, s3store.Options{KMSKeyID: srv.kmsKey, Presigner: s3.NewPresignClient(srv.api)})
	if err != nil {
		t.Fatal(err)
	}
	k := msh.PayloadKey{Tenant: "t1", Name: "browser-upload"}
	body := []byte("sealed SDK message from the browser")
	p, err := s.PresignPut(ctx, k, int64(len(body)), 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if p.Method != http.MethodPut || !strings.Contains(p.URL, "X-Amz-Signature=") || !strings.Contains(p.URL, "X-Amz-Expires=900") {
		t.Fatalf("presigned = %+v", p)
	}
	want := []string{"If-None-Match", "Content-Length"}
	if srv.kmsKey("t1") != "" {
		want = append(want, "X-Amz-Server-Side-Encryption", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
	}
	for _, h := range want {
		if p.Header.Get(h) == "" {
			t.Errorf("signed headers lack %s: %v", h, p.Header)
		}
	}
	put := func() int { return presignedPut(t, srv.http, p, p.URL, body) }
	if os.Getenv(awstest.EnvS3) != "" {
		// A server that checks signatures (MinIO) refuses a URL whose signed query changed.
		if code := presignedPut(t, srv.http, p, strings.Replace(p.URL, "X-Amz-Expires=900", "X-Amz-Expires=901", 1), body); code != http.StatusForbidden {
			t.Fatalf("tampered presigned URL: HTTP %d, want 403", code)
		}
	}
	if code := put(); code != http.StatusOK {
		t.Fatalf("presigned PUT: HTTP %d", code)
	}
	rc, _, err := s.OpenPayload(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, body) {
		t.Fatalf("read back %q", got)
	}
	if code := put(); code != http.StatusPreconditionFailed {
		t.Fatalf("second presigned PUT: HTTP %d, want 412 (If-None-Match is signed)", code)
	}
}

func presignedPut(t *testing.T, c *http.Client, p s3store.PresignedPut, url string, body []byte) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), p.Method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, vs := range p.Header {
		if !strings.EqualFold(name, "Content-Length") && !strings.EqualFold(name, "Host") {
			req.Header[name] = vs
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
