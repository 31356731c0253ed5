package front

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/edge/byref"
	"github.com/brevduva/brevduva/edge/sigv4"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/internal/awssys"
)

// memCache keeps what the Cache-Control of a put allows, like the Workers Cache API.
type memCache struct {
	mu sync.Mutex
	m  map[string][]byte
	h  map[string]http.Header
	s  map[string]int
}

func (c *memCache) Match(_ context.Context, key string) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	if !ok {
		return nil, ErrMiss
	}
	return &http.Response{StatusCode: c.s[key], Header: c.h[key].Clone(), Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (c *memCache) Put(_ context.Context, key string, resp *http.Response) error {
	if _, ok := CacheTTL(resp.Header); !ok {
		return nil
	}
	b, err := io.ReadAll(resp.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key], c.h[key], c.s[key] = b, resp.Header, resp.StatusCode
	return err
}

// engine hashes what reaches Receive and answers with a fixed receipt.
type engine struct {
	mu   sync.Mutex
	sum  [32]byte
	size int
}

func (e *engine) Receive(_ context.Context, _, _ string, body io.Reader) (msh.AS4Response, error) {
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return msh.AS4Response{}, err
	}
	e.mu.Lock()
	copy(e.sum[:], h.Sum(nil))
	e.size = int(n)
	e.mu.Unlock()
	return msh.AS4Response{Status: 200, ContentType: "application/soap+xml", Body: []byte("<receipt/>")}, nil
}

type rig struct {
	h       http.Handler
	hits    map[string]*atomic.Int32
	eng     *engine
	objects awssys.S3Objects
	origin  *httptest.Server
	samples int // calls of Deps.Memory
}

// newRig starts gofakes3 (the object store), an origin with the as4-receive routes
// (awssys.NewAS4Routes on an engine stub) and two lookup paths, and the Worker's handler.
func newRig(t *testing.T, edit func(*Config)) *rig {
	t.Helper()
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	t.Cleanup(s3srv.Close)
	api := s3.New(s3.Options{BaseEndpoint: aws.String(s3srv.URL), Region: awstest.Region, Credentials: awstest.Credentials,
		UsePathStyle: true, HTTPClient: awstest.HTTPClient})
	if _, err := api.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("staging")}); err != nil {
		t.Fatal(err)
	}
	g := &rig{hits: map[string]*atomic.Int32{"/smp/a": {}, "/smp/gone": {}, "/smp/teapot": {}, "/addressbook/api/nostore": {}}, eng: &engine{}, objects: awssys.S3Objects{API: api}}
	as4, err := awssys.NewAS4Routes(g.eng, "kommun-b", pmode.EDelivery115(),
		&awssys.ByRefOptions{Secret: []byte("k"), Bucket: "staging", Objects: g.objects}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/as4", as4)
	mux.Handle(byref.Path, as4)
	mux.HandleFunc("/smp/a", func(w http.ResponseWriter, _ *http.Request) {
		g.hits["/smp/a"].Add(1)
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte("<SignedServiceMetadata>signed bytes</SignedServiceMetadata>"))
	})
	for path, code := range map[string]int{"/smp/gone": http.StatusNotFound, "/smp/teapot": http.StatusTeapot} {
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
			g.hits[path].Add(1)
			w.Header().Set("Cache-Control", "public, max-age=60")
			http.Error(w, "no such participant", code)
		})
	}
	mux.HandleFunc("/addressbook/api/nostore", func(w http.ResponseWriter, _ *http.Request) {
		g.hits["/addressbook/api/nostore"].Add(1)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("[]"))
	})
	g.origin = httptest.NewServer(mux)
	t.Cleanup(g.origin.Close)
	ou, _ := url.Parse(g.origin.URL)
	su, _ := url.Parse(s3srv.URL)
	cfg := Config{Origin: ou, LookupPrefixes: DefaultLookupPrefixes, AS4Path: DefaultAS4Path, DirectMaxBytes: 1000,
		PartBytes: MinPartBytes, MaxMessageBytes: pmode.EDelivery115().MaxMessageBytes, OriginTimeout: 5 * time.Second,
		S3Endpoint: su, S3Bucket: "staging", S3: sigv4.Signer{AccessKeyID: "a", SecretAccessKey: "s", Region: "auto", Service: "s3"},
		ByRefSecret: []byte("k"), WebConfig: []byte(`{}`)}
	if edit != nil {
		edit(&cfg)
	}
	g.h, err = New(cfg, Deps{HTTP: http.DefaultClient, Cache: &memCache{m: map[string][]byte{}, h: map[string]http.Header{}, s: map[string]int{}},
		ClientCert: func(*http.Request) *byref.ClientCert { return nil },
		Memory:     func() string { g.samples++; return strconv.Itoa(g.samples) }})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (g *rig) do(method, path, ct string, body io.Reader) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://edge.example"+path, body)
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, r)
	return w
}

func TestLookupsCachedByOriginTTL(t *testing.T) {
	g := newRig(t, nil)
	var first []byte
	for i := range 3 {
		w := g.do("GET", "/smp/a", "", nil)
		if w.Code != 200 || (i > 0 && (!bytes.Equal(w.Body.Bytes(), first) || w.Header().Get(HeaderCache) != "HIT")) {
			t.Fatalf("call %d: %d %s %q", i, w.Code, w.Header().Get(HeaderCache), w.Body)
		}
		first = w.Body.Bytes()
		if w := g.do("GET", "/addressbook/api/nostore", "", nil); w.Code != 200 || w.Header().Get(HeaderCache) != "MISS" {
			t.Fatalf("no-store %d %s", w.Code, w.Header().Get(HeaderCache))
		}
	}
	if n := g.hits["/smp/a"].Load(); n != 1 {
		t.Errorf("cached lookup reached the origin %d times", n)
	}
	if n := g.hits["/addressbook/api/nostore"].Load(); n != 3 {
		t.Errorf("no-store lookup reached the origin %d times, want 3", n)
	}
	for i := range 2 {
		if w := g.do("GET", "/smp/gone", "", nil); w.Code != http.StatusNotFound || w.Header().Get(HeaderCache) != [2]string{"MISS", "HIT"}[i] {
			t.Fatalf("404 call %d: %d %s", i, w.Code, w.Header().Get(HeaderCache))
		}
		if w := g.do("GET", "/smp/teapot", "", nil); w.Code != http.StatusTeapot || w.Header().Get(HeaderCache) != "MISS" {
			t.Fatalf("418 call %d: %d %s", i, w.Code, w.Header().Get(HeaderCache))
		}
	}
	if n := g.hits["/smp/gone"].Load(); n != 1 {
		t.Errorf("404 with max-age reached the origin %d times, want 1", n)
	}
	if w := g.do("POST", "/smp/a", "", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST lookup: %d", w.Code)
	}
}

func TestCacheTTL(t *testing.T) {
	for cc, want := range map[string]time.Duration{"max-age=60": time.Minute, "public, s-maxage=10, max-age=60": 10 * time.Second,
		"no-store": 0, "max-age=60, private": 0, "s-maxage=99999999999999999999": maxDeltaSeconds * time.Second, "no-cache": 0, "": 0, "max-age=0": 0, "max-age=x": 0, `max-age="5"`: 5 * time.Second} {
		got, ok := CacheTTL(http.Header{"Cache-Control": {cc}})
		if got != want || ok != (want > 0) {
			t.Errorf("%q: %v %v", cc, got, ok)
		}
	}
}

func TestFrontDoorDirectAndByRef(t *testing.T) {
	g := newRig(t, nil)
	for _, c := range []struct {
		size          int
		path, samples string // samples: Deps.Memory, after every part but the first, and at the end
	}{{500, "direct", ""}, {MinPartBytes - 1, "by-ref", "1"}, {2*MinPartBytes + 12345, "by-ref", "3"}} {
		body := bytes.Repeat([]byte("0123456789abcdef"), c.size/16+1)[:c.size]
		g.samples = 0
		w := g.do("POST", "/as4", "multipart/related; boundary=b", bytes.NewReader(body))
		if w.Code != 200 || w.Body.String() != "<receipt/>" || w.Header().Get(HeaderPath) != c.path {
			t.Fatalf("%d bytes: %d %s %q", c.size, w.Code, w.Header().Get(HeaderPath), w.Body)
		}
		if got := w.Header().Get(HeaderMemory); got != c.samples {
			t.Errorf("%d bytes: %s %q, want %q", c.size, HeaderMemory, got, c.samples)
		}
		if g.eng.sum != sha256.Sum256(body) || g.eng.size != c.size {
			t.Errorf("%d bytes: the engine got %d other bytes", c.size, g.eng.size)
		}
	}
	list, err := g.objects.API.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("staging")})
	if err != nil || len(list.Contents) != 0 {
		t.Errorf("staged objects left: %v %v", list, err)
	}
}

func TestFrontDoorRefusals(t *testing.T) {
	g := newRig(t, func(c *Config) { c.MaxMessageBytes = MinPartBytes + 10 })
	w := g.do("POST", "/as4", "text/plain", strings.NewReader("x"))
	if w.Code != http.StatusUnsupportedMediaType || !strings.Contains(w.Body.String(), "EBMS:0007") {
		t.Errorf("content type: %d %.200s", w.Code, w.Body)
	}
	big := bytes.Repeat([]byte("x"), MinPartBytes+11)
	// Declared (Content-Length) and undeclared (read past the cap) sizes.
	for _, body := range []io.Reader{bytes.NewReader(big), io.MultiReader(bytes.NewReader(big))} {
		w = g.do("POST", "/as4", "application/soap+xml", body)
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "EBMS:0004") {
			t.Errorf("too large: %d %.200s", w.Code, w.Body)
		}
	}
	if w := g.do("GET", "/as4", "", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
	g = newRig(t, func(c *Config) { c.RequireClientCert = true })
	if w := g.do("POST", "/as4", "application/soap+xml", strings.NewReader("<e/>")); w.Code != http.StatusForbidden || g.eng.size != 0 {
		t.Errorf("no client certificate: %d", w.Code)
	}
}

// An origin that refuses connections, hangs or fails without a SOAP answer gives the
// sender EBMS:0005, and staged objects are removed.
func TestOriginFailureIsEBMSError(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release) // before Close, which waits for the handlers
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer broken.Close()
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close()
	for name, c := range map[string]struct {
		url     string
		status  int
		timeout time.Duration
	}{"refused": {refused.URL, 502, 10 * time.Second}, "hang": {hang.URL, 504, 300 * time.Millisecond}, "5xx": {broken.URL, 502, 10 * time.Second}} {
		for _, size := range []int{100, MinPartBytes + 1} {
			g := newRig(t, func(cfg *Config) {
				cfg.Origin, _ = url.Parse(c.url)
				cfg.OriginTimeout = c.timeout
			})
			w := g.do("POST", "/as4", "application/soap+xml", bytes.NewReader(make([]byte, size)))
			if w.Code != c.status || !strings.Contains(w.Body.String(), "EBMS:0005") || w.Header().Get("Content-Type") != ebms.FaultContentType {
				t.Errorf("%s, %d bytes: %d %.300s", name, size, w.Code, w.Body)
			}
			list, err := g.objects.API.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("staging")})
			if err != nil || len(list.Contents) != 0 {
				t.Errorf("%s: staged objects left: %v", name, err)
			}
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{EnvOriginURL: "https://origin.example/", EnvS3Endpoint: "https://acct.r2.cloudflarestorage.com",
		EnvS3Bucket: "b", EnvS3Region: "auto", EnvS3AccessKeyID: "a", EnvS3SecretAccessKey: "s", EnvByRefSecret: "k",
		EnvSMPRootsPEM: "PEM", EnvPartBytes: "8388608"}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Origin.String() != "https://origin.example" || !c.RequireClientCert || c.PartBytes != MaxPartBytes ||
		!strings.Contains(string(c.WebConfig), `"smpRootsPEM":"PEM"`) {
		t.Fatalf("%+v %v", c, err)
	}
	env[EnvPartBytes], env[EnvOriginURL], env[EnvRequireClientCert] = "1024", "ftp://x", "maybe"
	delete(env, EnvByRefSecret)
	_, err = ConfigFromEnv(func(k string) string { return env[k] })
	for _, name := range []string{EnvPartBytes, EnvOriginURL, EnvRequireClientCert, EnvByRefSecret} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s not reported: %v", name, err)
		}
	}
}

func FuzzCacheTTL(f *testing.F) {
	for _, s := range []string{"max-age=60", "public, s-maxage=10, max-age=60", "no-store", `max-age="5"`, "max-age=-1, s-maxage=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cc string) {
		ttl, ok := CacheTTL(http.Header{"Cache-Control": {cc}})
		if ok != (ttl > 0) {
			t.Fatalf("%q: %v %v", cc, ttl, ok)
		}
	})
}
