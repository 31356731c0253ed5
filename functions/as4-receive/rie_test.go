package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
	"github.com/brevduva/brevduva/infra/aws/sqsqueue"
	"github.com/brevduva/brevduva/internal/awssys"
	"github.com/brevduva/brevduva/internal/demopki"
)

// EnvRIE names the aws-lambda-rie binary (make test-lambda installs it into .cache/bin
// and sets it).
const EnvRIE = "BREVDUVA_RIE"

// TestRIEEndToEnd runs the real bootstrap under the Lambda runtime interface emulator,
// against dynalite (DynamoDB), fauxqs (SQS) and gofakes3 (S3, in this process). Tenant B
// of the enginetest world is the function; the AS4 messages are what A's engine really
// sent to B. It checks: a signed receipt for a new message, the SQS wake-up signal of its
// delivery, the same receipt for a repeated message, EBMS:0004 for a body over the
// buffered limit. It logs the cold start and the warm invocation durations
// (BENCHMARKS.md, "Lambda").
//
// What the emulator cannot check: the real Function URL / API Gateway front (TLS, mutual
// TLS, its own 6 MB 413), the arm64 build (the test builds for the host), memory size,
// concurrency and the Lambda service's own init timeout.
func TestRIEEndToEnd(t *testing.T) {
	rie := os.Getenv(EnvRIE)
	ddbEP := awstest.Endpoint(t, awstest.EnvDynamoDB)
	sqsEP := awstest.Endpoint(t, awstest.EnvSQS)
	if rie == "" {
		if os.Getenv(awstest.EnvRequire) == "1" {
			t.Fatalf("%s not set", EnvRIE)
		}
		t.Skipf("%s not set: run `make test-lambda`", EnvRIE)
	}
	ctx := context.Background()
	dir := t.TempDir()

	// The AS4 messages: what A's engine posts to B.
	w := enginetest.NewWorld(t, nil)
	w.Clock.Set(time.Now())
	var msgs []enginetest.Posted
	for i := range 12 {
		if _, err := w.Submit(enginetest.ID(100+i), enginetest.FnB); err != nil {
			t.Fatal(err)
		}
		w.MustPump()
		msgs = append(msgs, w.Net.Last(w.B.URL))
	}

	// B's keys and trust as files, as a deployment package could carry them (in AWS the
	// keys are kms:IDs).
	writePEM := func(name string, blocks ...*pem.Block) string {
		var b bytes.Buffer
		for _, bl := range blocks {
			_ = pem.Encode(&b, bl)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certs := func(cs []*x509.Certificate) []*pem.Block {
		var out []*pem.Block
		for _, c := range cs {
			out = append(out, demopki.CertPEM(c))
		}
		return out
	}
	tb := w.B.Tenant
	as4Key, err := demopki.KeyPEM(tb.AS4Key)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		awssys.EnvTenant: tb.ID, awssys.EnvParticipant: tb.Participant, awssys.EnvAPPartyID: tb.APPartyID,
		awssys.EnvFunctionAddresses: strings.Join(tb.FunctionAddresses, ","),
		awssys.EnvAS4Key:            "file:" + writePEM("as4-key.pem", as4Key),
		awssys.EnvAS4Cert:           writePEM("as4-cert.pem", demopki.CertPEM(tb.AS4Cert)),
		awssys.EnvAPTrust:           writePEM("ap-trust.pem", certs(tb.APTrust.Roots)...),
		awssys.EnvLogLevel:          "warn",
	}
	if tb.O2OKey != nil {
		k, err := demopki.KeyPEM(tb.O2OKey)
		if err != nil {
			t.Fatal(err)
		}
		env[awssys.EnvO2OKey] = "file:" + writePEM("o2o-key.pem", k)
		env[awssys.EnvO2OCert] = writePEM("o2o-cert.pem", demopki.CertPEM(tb.O2OCert))
	}
	if tb.O2OTrust != nil {
		env[awssys.EnvO2OTrust] = writePEM("o2o-trust.pem", certs(tb.O2OTrust.Roots)...)
	}

	calls := &counter{n: map[string]int{}}
	// The AWS side: a table on dynalite, a queue on fauxqs, a bucket on gofakes3.
	ddb := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(ddbEP), Region: awstest.Region,
		Credentials: awstest.Credentials, HTTPClient: awstest.HTTPClient})
	table := awstest.Name("brevduva-lambda")
	if _, err := ddb.CreateTable(ctx, dynamo.CreateTableInput(table)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	if err := dynamodb.NewTableExistsWaiter(ddb, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	sq := sqs.New(sqs.Options{BaseEndpoint: aws.String(sqsEP), Region: awstest.Region,
		Credentials: awstest.Credentials, HTTPClient: awstest.HTTPClient})
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.Name("brevduva-lambda"))})
	if err != nil {
		t.Fatal(err)
	}
	s3h := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server()
	s3srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.add("S3." + r.Method)
		s3h.ServeHTTP(w, r)
	}))
	t.Cleanup(s3srv.Close)
	bucket := awstest.Name("brevduva-lambda")
	s3c := s3.New(s3.Options{BaseEndpoint: aws.String(s3srv.URL), Region: awstest.Region, Credentials: awstest.Credentials, UsePathStyle: true})
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	// Count the function's AWS requests by operation (cost estimate per message).
	ddbEP = calls.proxy(t, ddbEP)
	sqsEP = calls.proxy(t, sqsEP)
	creds, _ := awstest.Credentials.Retrieve(ctx)
	for k, v := range map[string]string{
		awssys.EnvTable: table, awssys.EnvBucket: bucket, awssys.EnvQueueURL: *q.QueueUrl,
		awssys.EnvDynamoDBEndpoint: ddbEP, awssys.EnvSQSEndpoint: sqsEP, awssys.EnvS3Endpoint: s3srv.URL,
		awssys.EnvRegion: awstest.Region, awssys.EnvAccessKeyID: creds.AccessKeyID, awssys.EnvSecretKey: creds.SecretAccessKey,
	} {
		env[k] = v
	}

	// The bootstrap, as `make lambda` builds it but for this machine's architecture.
	boot := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", boot, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	// The emulator, on free loopback ports.
	url, start := startRIE(t, rie, boot, env)

	hc := &http.Client{Timeout: 30 * time.Second}
	invoke := func(body []byte, ct string) (events.APIGatewayV2HTTPResponse, time.Duration) {
		t.Helper()
		e := fixture(t, "function-url-as4.json")
		e.Headers["content-type"] = ct
		e.Headers["content-length"] = fmt.Sprint(len(body))
		e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		raw, _ := json.Marshal(e)
		t0 := time.Now()
		resp, err := hc.Post(url, "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		d := time.Since(t0)
		var out events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(b, &out); err != nil || out.StatusCode == 0 {
			t.Fatalf("invoke: HTTP %d %.500s (%v)", resp.StatusCode, b, err)
		}
		if out.IsBase64Encoded {
			dec, _ := base64.StdEncoding.DecodeString(out.Body)
			out.Body, out.IsBase64Encoded = string(dec), false
		}
		return out, d
	}
	// The first (cold) invocation.
	first, firstD := invoke(msgs[0].Body, msgs[0].ContentType)
	cold := time.Since(start)
	if first.StatusCode != 200 || !strings.Contains(first.Body, "Receipt") || strings.Contains(first.Body, "SignalMessage><eb:Error") {
		t.Fatalf("first message: %d %.800s", first.StatusCode, first.Body)
	}

	// The delivery work was signalled on SQS.
	rm, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Messages) == 0 {
		t.Fatal("no wake-up signal on SQS")
	}
	sig, err := sqsqueue.ParseSignal(*rm.Messages[0].Body)
	if err != nil || sig.Tenant != tb.ID || !strings.HasPrefix(sig.ID, "deliver:") {
		t.Fatalf("signal %+v %v", sig, err)
	}

	// The same message again: the stored receipt, from DynamoDB.
	again, _ := invoke(msgs[0].Body, msgs[0].ContentType)
	if again.StatusCode != 200 || again.Body != first.Body {
		t.Fatalf("repeated message: %d, same receipt %v", again.StatusCode, again.Body == first.Body)
	}

	// Warm invocations, new messages each.
	calls.reset()
	var warm []time.Duration
	for _, m := range msgs[1:] {
		r, d := invoke(m.Body, m.ContentType)
		if r.StatusCode != 200 || !strings.Contains(r.Body, "Receipt") {
			t.Fatalf("message: %d %.500s", r.StatusCode, r.Body)
		}
		warm = append(warm, d)
	}

	t.Logf("LAMBDA requests per received message: %s", calls.per(len(msgs)-1))

	// Over the buffered limit: EBMS:0004, HTTP 413. Sent as text (soap+xml is not base64
	// in a real event) so that the event stays under the invocation payload limit.
	e := fixture(t, "function-url-as4.json")
	big := strings.Repeat("x", awssys.MaxBufferedBody+1)
	e.Headers["content-type"] = "application/soap+xml; charset=UTF-8"
	e.Body, e.IsBase64Encoded = big, false
	raw, _ := json.Marshal(e)
	resp, err := hc.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var tooBig events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(b, &tooBig); err != nil || tooBig.StatusCode != 413 || !strings.Contains(tooBig.Body, "EBMS:0004") {
		t.Fatalf("oversized: HTTP %d %.300s", resp.StatusCode, b)
	}

	// as4-send under the emulator too: the SQS fixture (a signal for this tenant, a
	// non-signal, another tenant's, a backstop signal) on a fresh, empty table.
	table2 := awstest.Name("brevduva-lambda")
	if _, err := ddb.CreateTable(ctx, dynamo.CreateTableInput(table2)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table2)})
	})
	env[awssys.EnvTable] = table2
	sendBoot := filepath.Join(dir, "send", "bootstrap")
	build = exec.Command("go", "build", "-tags", "lambda.norpc", "-o", sendBoot, "../as4-send")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build as4-send: %v\n%s", err, out)
	}
	sendURL, _ := startRIE(t, rie, sendBoot, env)
	ev, err := os.ReadFile("../as4-send/testdata/sqs-signals.json")
	if err != nil {
		t.Fatal(err)
	}
	ev = bytes.ReplaceAll(ev, []byte(`\"tenant\":\"kommun-a\"`), []byte(`\"tenant\":\"`+tb.ID+`\"`))
	resp, err = hc.Post(sendURL, "application/json", bytes.NewReader(ev))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var batch events.SQSEventResponse
	if err := json.Unmarshal(b, &batch); err != nil || len(batch.BatchItemFailures) != 2 ||
		batch.BatchItemFailures[0].ItemIdentifier != "9d0c7e5b-2a1f-4c3d-8e6f-1a2b3c4d5e02" ||
		batch.BatchItemFailures[1].ItemIdentifier != "e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a703" {
		t.Fatalf("as4-send: HTTP %d %.500s", resp.StatusCode, b)
	}

	slices.Sort(warm)
	t.Logf("LAMBDA cold_start_ms=%d first_invoke_ms=%d warm_p50_ms=%.1f warm_max_ms=%.1f warm_n=%d bootstrap_bytes=%d",
		cold.Milliseconds(), firstD.Milliseconds(), ms(warm[len(warm)/2]), ms(warm[len(warm)-1]), len(warm), size(boot))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func size(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// counter counts AWS API requests by operation (X-Amz-Target, or S3.METHOD).
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(op string) {
	c.mu.Lock()
	c.n[op]++
	c.mu.Unlock()
}

func (c *counter) reset() {
	c.mu.Lock()
	clear(c.n)
	c.mu.Unlock()
}

func (c *counter) per(msgs int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ops []string
	for op, n := range c.n {
		ops = append(ops, fmt.Sprintf("%s=%.2f", op, float64(n)/float64(msgs)))
	}
	slices.Sort(ops)
	return strings.Join(ops, " ")
}

// proxy returns the URL of a counting reverse proxy to target (on 127.0.0.1).
func (c *counter) proxy(t *testing.T, target string) string {
	u, err := neturl.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.add(r.Header.Get("X-Amz-Target"))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// startRIE runs boot under the emulator with env, its invoke API and its runtime API
// (default 127.0.0.1:9001, which parallel runs would share) on free loopback ports, and
// returns the invocation URL once the port listens, and when the process started.
func startRIE(t *testing.T, rie, boot string, env map[string]string) (string, time.Time) {
	t.Helper()
	addr, runtimeAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAddr, boot)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Dir(boot)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s under the emulator:\n%s", filepath.Base(filepath.Dir(boot)), logs.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not listen: %s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "http://" + addr + "/2015-03-31/functions/function/invocations", start
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
