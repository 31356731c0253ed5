//go:build !(js && wasm)

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/edge/front"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/internal/awssys"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/localsys"
)

// The Worker under test is the real build (make worker, into a temporary folder) run by
// wrangler 4.86.0's workerd on 127.0.0.1 with CLOUDFLARE_CF_FETCH_ENABLED=false. Behind
// it: an origin with the as4-receive function's routes (awssys.NewAS4Routes, by-reference
// path on) on the local system's engine of Kommun B (internal/localsys: bbolt, the same
// core/msh engine the function wires to DynamoDB), gofakes3 as the S3-compatible staging
// store, and the local system's SMP and address book behind a proxy that counts what
// reaches the origin; the SMP's own Cache-Control (core/httpcache's default) is relayed,
// the address book's is replaced by no-store to check that path.
//
// What this cannot check here: Cloudflare's mTLS (request.cf.tlsClientAuth is not filled
// by workerd, so REQUIRE_CLIENT_CERT is false; the refusal is tested in edge/front), the
// S3 signature (gofakes3 accepts any; edge/sigv4 is checked against the AWS SDK's
// signer), and the production cache's behaviour across data centres.

// The test is slow (a wasm build, two workerd instances, a 38 MB message), so like the
// browser test it runs only when asked: BREVDUVA_WORKER=1 runs it when wrangler is
// installed, BREVDUVA_REQUIRE_WORKER=1 (make test-worker) also fails without it.
const (
	envRequire = "BREVDUVA_REQUIRE_WORKER"
	envRun     = "BREVDUVA_WORKER"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// need skips unless asked, and (with BREVDUVA_REQUIRE_WORKER=1, fails) without node and wrangler.
func need(t *testing.T) string {
	t.Helper()
	if os.Getenv(envRequire) != "1" && os.Getenv(envRun) != "1" {
		t.Skip("set BREVDUVA_WORKER=1, or run make test-worker")
	}
	w := filepath.Join(repoRoot(t), "edge", "node_modules", ".bin", "wrangler")
	_, errNode := exec.LookPath("node")
	_, errW := os.Stat(w)
	if errNode != nil || errW != nil {
		if os.Getenv(envRequire) == "1" {
			t.Fatalf("wrangler or node missing (cd edge && npm ci): %v %v", errNode, errW)
		}
		t.Skip("wrangler not installed (cd edge && npm ci; make test-worker)")
	}
	return w
}

// buildWorker runs `make worker` into dir and puts the committed wrangler.toml beside it.
func buildWorker(t *testing.T, dir string) {
	t.Helper()
	root := repoRoot(t)
	cmd := exec.Command("make", "-s", "worker", "WORKER_OUT="+filepath.Join(dir, "build"), "BIN="+filepath.Join(dir, "bin"))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make worker: %v\n%s", err, out)
	}
	t.Logf("WORKER %s", strings.TrimSpace(string(out)))
	toml, err := os.ReadFile(filepath.Join(root, "edge", "wrangler.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), toml, 0o644); err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type worker struct {
	url string
	pid int
}

// startWorker runs `wrangler dev` on dir with vars and waits until it is ready.
func startWorker(t *testing.T, wrangler, dir string, vars map[string]string) *worker {
	t.Helper()
	port := freePort(t)
	args := []string{"dev", "--config", filepath.Join(dir, "wrangler.toml"), "--ip", "127.0.0.1",
		"--port", strconv.Itoa(port), "--inspector-port", strconv.Itoa(freePort(t)),
		"--persist-to", filepath.Join(dir, "state-"+strconv.Itoa(port)), "--show-interactive-dev-session=false"}
	for k, v := range vars {
		args = append(args, "--var", k+":"+v)
	}
	cmd := exec.Command(wrangler, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CLOUDFLARE_CF_FETCH_ENABLED=false", "WRANGLER_SEND_METRICS=false", "CI=1",
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	})
	ready := make(chan struct{})
	var log bytes.Buffer
	var mu sync.Mutex
	go func() {
		s := bufio.NewScanner(out)
		once := sync.Once{}
		for s.Scan() {
			mu.Lock()
			log.WriteString(s.Text() + "\n")
			mu.Unlock()
			if strings.Contains(s.Text(), "Ready on") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(90 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("wrangler dev not ready:\n%s", log.String())
	}
	return &worker{url: "http://127.0.0.1:" + strconv.Itoa(port), pid: cmd.Process.Pid}
}

// workerdRSS sums VmRSS (KiB) of the workerd processes below pid.
func workerdRSS(pid int) int64 {
	parents := map[int]int{}
	names := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < 0 {
			continue
		}
		names[p] = s[open+1 : end]
		f := strings.Fields(s[end+1:])
		if len(f) > 1 {
			parents[p], _ = strconv.Atoi(f[1])
		}
	}
	var kib int64
	for p, name := range names {
		if name != "workerd" {
			continue
		}
		for q := parents[p]; q > 1; q = parents[q] {
			if q == pid {
				kib += vmRSS(p)
				break
			}
		}
	}
	return kib
}

func vmRSS(pid int) int64 {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// origin is the AWS side: as4-receive's routes, and the lookups with Cache-Control.
type origin struct {
	srv  *httptest.Server
	mode atomic.Int32 // 0 normal, 1: AS4 paths fail with a bare HTTP 503
	hits sync.Map     // path → *atomic.Int32
}

func (o *origin) count(path string) int32 {
	v, _ := o.hits.LoadOrStore(path, new(atomic.Int32))
	return v.(*atomic.Int32).Load()
}

// stagingStore is the S3-compatible staging store: MinIO when BREVDUVA_S3_ENDPOINT names
// one (scripts/aws-emulators.sh with BREVDUVA_WITH_MINIO=1: it checks the Worker's SigV4
// signatures), else gofakes3 in process (accepts any signature).
func stagingStore(t *testing.T) (string, string, *s3.Client) {
	t.Helper()
	ep, bucket := os.Getenv(awstest.EnvS3), awstest.Name("edge")
	if ep == "" {
		srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
		t.Cleanup(srv.Close)
		ep = srv.URL
	}
	t.Logf("staging store %s", ep)
	api := s3.New(s3.Options{BaseEndpoint: aws.String(ep), Region: awstest.Region, Credentials: awstest.Credentials,
		UsePathStyle: true, HTTPClient: awstest.HTTPClient})
	if _, err := api.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return ep, bucket, api
}

func newOrigin(t *testing.T, sys *localsys.System, objects awssys.S3Objects, bucket, secret string) *origin {
	t.Helper()
	o := &origin{}
	as4h, err := awssys.NewAS4Routes(sys.Engine("kommun-b"), "kommun-b", pmode.EDelivery115(),
		&awssys.ByRefOptions{Secret: []byte(secret), Bucket: bucket, Objects: objects}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	d := sys.Description()
	smpURL, _ := url.Parse(d.SMPURL)
	abURL, _ := url.Parse(d.AddressBookURL)
	// proxy forwards to target; a non-empty cacheControl replaces the origin's.
	proxy := func(target *url.URL, cacheControl string) http.Handler {
		rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: target.Scheme, Host: "127.0.0.1:" + target.Port()})
			r.Out.Host = target.Host
		}}
		rp.ModifyResponse = func(r *http.Response) error {
			if cacheControl != "" {
				r.Header.Set("Cache-Control", cacheControl)
			}
			return nil
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v, _ := o.hits.LoadOrStore(r.URL.Path, new(atomic.Int32))
			v.(*atomic.Int32).Add(1)
			rp.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.Handle(localsys.PathSMP, proxy(smpURL, ""))
	mux.Handle("/addressbook/api/", proxy(abURL, "no-store"))
	mux.Handle("/as4", o.failable(as4h))
	mux.Handle("/as4/by-ref", o.failable(as4h))
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) failable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.mode.Load() == 1 {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestWorker(t *testing.T) {
	wrangler := need(t)
	dir := t.TempDir()
	buildWorker(t, dir)

	sysDir := filepath.Join(dir, "demo")
	if _, _, err := localsys.InitDemo(sysDir, localsys.DemoOptions{FreePorts: true}); err != nil {
		t.Fatal(err)
	}
	cfg, err := localsys.LoadConfig(filepath.Join(sysDir, localsys.DemoConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	sys, err := localsys.Start(cfg, localsys.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sys.Shutdown(ctx)
	})
	s3URL, bucket, api := stagingStore(t)
	const secret = "edge-test-secret"
	org := newOrigin(t, sys, awssys.S3Objects{API: api}, bucket, secret)
	smpRoots, err := os.ReadFile(filepath.Join(sysDir, "pki", "smp-ca.ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := awstest.Credentials.Retrieve(context.Background())
	vars := map[string]string{front.EnvOriginURL: org.srv.URL, front.EnvS3Endpoint: s3URL, front.EnvS3Bucket: bucket,
		front.EnvS3Region: awstest.Region, front.EnvS3AccessKeyID: creds.AccessKeyID, front.EnvS3SecretAccessKey: creds.SecretAccessKey,
		front.EnvByRefSecret: secret, front.EnvRequireClientCert: "false", front.EnvOriginTimeoutMS: "120000",
		front.EnvSMPRootsPEM: string(smpRoots), front.EnvDebugMemory: "true"}
	w := startWorker(t, wrangler, dir, vars)

	t.Run("static", func(t *testing.T) { testStatic(t, w, dir, smpRoots) })
	t.Run("lookups", func(t *testing.T) { testLookups(t, w, sys, org) })
	t.Run("as4 40 MB", func(t *testing.T) { testLargeMessage(t, w, sysDir, api, bucket) })
	t.Run("origin failure", func(t *testing.T) { testOriginFailure(t, wrangler, dir, w, org, vars) })
}

func testStatic(t *testing.T, w *worker, dir string, smpRoots []byte) {
	wantWasm, err := os.ReadFile(filepath.Join(dir, "bin", "brevduva.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for path, ct := range map[string]string{"/web/": "text/html", "/web/app.js": "javascript",
		"/web/brevduva.wasm": "application/wasm", "/web/wasm_exec.js": "javascript", "/web/style.css": "text/css"} {
		resp, body := get(t, w.url+path)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), ct) {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" || resp.Header.Get("ETag") == "" {
			t.Errorf("%s: Cache-Control %q, ETag %q", path, cc, resp.Header.Get("ETag"))
		}
		if path == "/web/brevduva.wasm" && !bytes.Equal(body, wantWasm) {
			t.Errorf("wasm module: %d bytes, want %d", len(body), len(wantWasm))
		}
	}
	resp, body := get(t, w.url+"/web/config.json")
	var cfg map[string]string
	if err := json.Unmarshal(body, &cfg); err != nil || resp.Header.Get("Cache-Control") != "no-store" ||
		cfg["smpRootsPEM"] != string(smpRoots) || cfg["smpPath"] != localsys.PathSMP {
		t.Errorf("config.json: %v %q %v", err, resp.Header.Get("Cache-Control"), cfg["smpPath"])
	}
}

func testLookups(t *testing.T, w *worker, sys *localsys.System, org *origin) {
	d := sys.Description()
	smpPath := localsys.PathSMP + url.PathEscape("iso6523-actorid-upis::"+localsys.DemoParticipantB)
	abURL, _ := url.Parse(d.AddressBookURL)
	direct, _ := url.Parse(d.SMPURL)
	origin, want := get(t, "http://127.0.0.1:"+direct.Port()+smpPath)
	if cc := origin.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Fatalf("SMP origin's Cache-Control %q, want core/httpcache's default", cc)
	}
	for i := range 3 {
		resp, body := get(t, w.url+smpPath)
		if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("ETag") != origin.Header.Get("ETag") {
			t.Fatalf("SMP via the Worker, call %d: %d, %d bytes, ETag %q (want the origin's %d unchanged, %q)", i,
				resp.StatusCode, len(body), resp.Header.Get("ETag"), len(want), origin.Header.Get("ETag"))
		}
		if resp, _ := get(t, w.url+abURL.Path); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("address book: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	unescaped, _ := url.PathUnescape(smpPath)
	if n := org.count(unescaped); n != 1 {
		t.Errorf("SMP answer (max-age=300) reached the origin %d times, want 1", n)
	}
	if n := org.count(abURL.Path); n != 3 {
		t.Errorf("address book answer (no-store) reached the origin %d times, want 3", n)
	}
	testMissingLookup(t, w, direct.Port(), org)
}

// testMissingLookup checks that the SMP's 404 for an unknown participant is cached for
// the SMP's (shorter) lifetime: the second call does not reach the origin.
func testMissingLookup(t *testing.T, w *worker, smpPort string, org *origin) {
	missing := localsys.PathSMP + url.PathEscape("iso6523-actorid-upis::0007:0000000000")
	origin, want := get(t, "http://127.0.0.1:"+smpPort+missing)
	if origin.StatusCode != http.StatusNotFound || origin.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("SMP origin on an unknown participant: %d %q, want 404 with core/httpcache's default",
			origin.StatusCode, origin.Header.Get("Cache-Control"))
	}
	for i, cache := range []string{"MISS", "HIT"} {
		resp, body := get(t, w.url+missing)
		if resp.StatusCode != http.StatusNotFound || !bytes.Equal(body, want) || resp.Header.Get(front.HeaderCache) != cache {
			t.Fatalf("unknown participant via the Worker, call %d: %d %s %q", i, resp.StatusCode, resp.Header.Get(front.HeaderCache), body)
		}
	}
	unescaped, _ := url.PathUnescape(missing)
	if n := org.count(unescaped); n != 1 {
		t.Errorf("SMP 404 (max-age=60) reached the origin %d times, want 1", n)
	}
}

// bigMessage is a real AS4 user message from Kommun A's AP to Kommun B's (signed and
// encrypted, not compressed) carrying an O2O-sealed SDK message with a fileBytes
// attachment: with 21.5 MB the SDK message is just under its 30 MB limit and the AS4
// message about 38 MB on the wire.
func bigMessage(t *testing.T, pki string, fileBytes int) (string, []byte, *as4.Sent) {
	t.Helper()
	leaf := func(name string) *demopki.Cert {
		k, err := demopki.LoadKey(filepath.Join(pki, name+".key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		cs, err := demopki.LoadCerts(filepath.Join(pki, name+".cert.pem"))
		if err != nil {
			t.Fatal(err)
		}
		return &demopki.Cert{Name: name, Key: k, Cert: cs[0]}
	}
	orgA, orgB, apA, apB := leaf("org-a"), leaf("org-b"), leaf("ap-a"), leaf("ap-b")
	file := make([]byte, fileBytes)
	_, _ = rand.Read(file)
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	id := fmt.Sprintf("%x-%x-%x-%x-%x", u[:4], u[4:6], u[6:8], u[8:10], u[10:])
	m := &sdkmsg.Message{CreationDateTime: sdkmsg.FormatTime(time.Now()), MessageID: id, ConversationID: id, Label: "Stor bilaga",
		Sender:    sdkmsg.Party{ID: localsys.DemoParticipantA},
		Recipient: sdkmsg.Party{ID: localsys.DemoParticipantB, Attention: &sdkmsg.Attention{FunctionAddress: "registrator"}},
		Documents: []sdkmsg.Document{{DocumentID: "d1", Index: "1", Files: []sdkmsg.File{{FileName: "stor.bin", ContentType: "application/octet-stream", Content: file}}}}}
	plain, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	x, err := (&o2o.Sealer{Key: orgA.Key, Cert: orgA.Cert, Profile: o2o.DIGGProfile(), Now: time.Now}).Seal(plain, orgB.Cert, "registrator")
	if err != nil {
		t.Fatal(err)
	}
	leg := pmode.SDKMessageLeg()
	um := leg.UserMessage(apA.Cert.Subject.CommonName, apB.Cert.Subject.CommonName, id, localsys.DemoParticipantA, localsys.DemoParticipantB)
	profile := pmode.EDelivery115()
	profile.Compression.Enabled = false // AS4 compression is optional; off, the sealed XHE fills the wire
	packer := &as4.Packer{Profile: profile, Sender: as4.Sender{Key: apA.Key, Cert: apA.Cert}, Recipient: apB.Cert, Now: time.Now}
	var buf bytes.Buffer
	ct, sent, err := packer.Pack(&buf, um, []as4.Payload{{ContentID: leg.PayloadCID, MimeType: leg.PayloadMimeType, Data: x}})
	if err != nil {
		t.Fatal(err)
	}
	return ct, buf.Bytes(), sent
}

// postMeasured posts body chunked (an io.Reader without a length, so the Worker streams
// it) and returns the answer and the peak workerd RSS while it ran.
func postMeasured(t *testing.T, w *worker, ct string, body []byte) (*http.Response, []byte, int64) {
	t.Helper()
	var peak atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if r := workerdRSS(w.pid); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	req, _ := http.NewRequest(http.MethodPost, w.url+"/as4", io.MultiReader(bytes.NewReader(body)))
	req.Header.Set("Content-Type", ct)
	began := time.Now()
	resp, err := http.DefaultClient.Do(req)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("WORKER %d KiB through the front door: HTTP %d (%s) in %s, workerd peak RSS %d KiB",
		len(body)/1024, resp.StatusCode, resp.Header.Get(front.HeaderPath), time.Since(began).Round(time.Millisecond), peak.Load())
	return resp, answer, peak.Load()
}

func testLargeMessage(t *testing.T, w *worker, sysDir string, api *s3.Client, bucket string) {
	pki := filepath.Join(sysDir, "pki")
	ct, msg, sent := bigMessage(t, pki, 21_500_000)
	t.Logf("AS4 message: %d bytes on the wire", len(msg))
	idle := workerdRSS(w.pid)
	// Bodies that are not AS4 (the engine answers them with an error) are staged the same
	// way; the Worker's own peaks (DEBUG_MEMORY) must not grow with the message size.
	small, _, _ := postMeasured(t, w, ct, bytes.Repeat([]byte("x"), 12<<20))
	resp, body, peak := postMeasured(t, w, ct, msg)
	large, _, _ := postMeasured(t, w, ct, bytes.Repeat([]byte("x"), 39<<20))
	postMeasured(t, w, ct, bytes.Repeat([]byte("x"), 12<<20))
	t.Logf("WORKER workerd RSS idle %d KiB; peak during the %d KiB message %d KiB", idle, len(msg)/1024, peak)
	checkBounded(t, edgeMemory(t, small), edgeMemory(t, resp), edgeMemory(t, large))
	if resp.StatusCode != 200 || resp.Header.Get(front.HeaderPath) != "by-ref" {
		t.Fatalf("front door: %d path %q: %.400s", resp.StatusCode, resp.Header.Get(front.HeaderPath), body)
	}
	cas, err := demopki.LoadCerts(filepath.Join(pki, "ap-ca.ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	v := &as4.SignalVerifier{Profile: pmode.EDelivery115(), Trust: trust.NewStore(cas, time.Now)}
	vs, err := v.VerifyReceipt(sent, resp.Header.Get("Content-Type"), bytes.NewReader(body))
	if err != nil {
		t.Fatalf("receipt through the Worker does not verify: %v\n%.400s", err, body)
	}
	t.Logf("receipt %s signed by %s", vs.Messaging.SignalMessage.Info.MessageID, vs.Signer.Subject)
	list, err := api.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(list.Contents) != 0 {
		t.Errorf("staged objects left after the receipt: %v", err)
	}
}

// edgeMemory parses the Worker's front.HeaderMemory ("heapInuse=N heapSys=N sys=N linear=N").
func edgeMemory(t *testing.T, resp *http.Response) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	for _, f := range strings.Fields(resp.Header.Get(front.HeaderMemory)) {
		k, v, _ := strings.Cut(f, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", front.HeaderMemory, resp.Header.Get(front.HeaderMemory))
		}
		m[k] = n
	}
	if len(m) != 4 {
		t.Fatalf("%s: %q", front.HeaderMemory, resp.Header.Get(front.HeaderMemory))
	}
	return m
}

// checkBounded asserts that the Worker's Go heap and wasm linear memory peaks while it
// stages a 38 MB and a 39 MiB message exceed those of a 12 MiB one by less than two parts:
// memory is bounded by the part size, not the message size.
func checkBounded(t *testing.T, small map[string]int64, large ...map[string]int64) {
	t.Helper()
	const bound = 2 * front.MinPartBytes
	for _, l := range large {
		t.Logf("WORKER memory peaks (bytes): 12 MiB body %v; larger body %v", small, l)
		for _, k := range []string{"heapSys", "sys", "linear"} {
			if d := l[k] - small[k]; d >= bound {
				t.Errorf("%s grew by %d bytes from the 12 MiB body to a larger one (bound %d)", k, d, bound)
			}
		}
	}
}

func testOriginFailure(t *testing.T, wrangler, dir string, w *worker, org *origin, vars map[string]string) {
	ct, msg, _ := bigMessage(t, filepath.Join(dir, "demo", "pki"), 1000)
	post := func(w *worker) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Post(w.url+"/as4", ct, bytes.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	check := func(what string, resp *http.Response, b []byte, status int) {
		t.Helper()
		if resp.StatusCode != status || !bytes.Contains(b, []byte(`errorCode="EBMS:0005"`)) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/soap+xml") {
			t.Errorf("%s: %d %q %.400s", what, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
	org.mode.Store(1)
	resp, b := post(w)
	check("origin 503 without SOAP", resp, b, http.StatusBadGateway)
	org.mode.Store(0)

	// A second Worker whose origin accepts connections and never answers, with a 2 s deadline.
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	hv := map[string]string{}
	for k, v := range vars {
		hv[k] = v
	}
	hv[front.EnvOriginURL], hv[front.EnvOriginTimeoutMS] = hang.URL, "2000"
	hw := startWorker(t, wrangler, dir, hv)
	began := time.Now()
	resp, b = post(hw)
	t.Logf("WORKER hanging origin answered after %s", time.Since(began).Round(time.Millisecond))
	check("hanging origin", resp, b, http.StatusGatewayTimeout)

	org.srv.Close()
	resp, b = post(w)
	check("origin down", resp, b, http.StatusBadGateway)
}
