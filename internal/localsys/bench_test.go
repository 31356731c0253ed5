package localsys

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/infra/dns"
	"github.com/brevduva/brevduva/infra/httpx"
	"github.com/brevduva/brevduva/internal/demopki"
)

// receiveBench is a running local system and n AS4 messages from Kommun A's AP to
// Kommun B's, each its own SDK message (sealed XHE with the test PDF) and MessageId,
// packed as A's engine would.
type receiveBench struct {
	s    *System
	d    Description
	dir  string
	msgs []packedMsg
}

type packedMsg struct {
	ct   string
	body []byte
}

func newReceiveBench(b *testing.B, n int) *receiveBench {
	b.Helper()
	dir := b.TempDir()
	if _, _, err := InitDemo(dir, DemoOptions{FreePorts: true}); err != nil {
		b.Fatal(err)
	}
	cfg, err := LoadConfig(filepath.Join(dir, DemoConfigFile))
	if err != nil {
		b.Fatal(err)
	}
	s, err := Start(cfg, Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			b.Error(err)
		}
	})
	d := s.Description()
	pki := filepath.Join(dir, demoPKIDir)
	load := func(name string) (*demopki.Cert, error) {
		k, err := demopki.LoadKey(filepath.Join(pki, name+".key.pem"))
		if err != nil {
			return nil, err
		}
		cs, err := demopki.LoadCerts(filepath.Join(pki, name+".cert.pem"))
		if err != nil {
			return nil, err
		}
		return &demopki.Cert{Key: k, Cert: cs[0]}, nil
	}
	orgA, err1 := load("org-a")
	orgB, err2 := load("org-b")
	apA, err3 := load("ap-a")
	apB, err4 := load("ap-b")
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			b.Fatal(err)
		}
	}
	sealer := &o2o.Sealer{Key: orgA.Key, Cert: orgA.Cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	packer := &as4.Packer{Profile: pmode.EDelivery115(), Sender: as4.Sender{Key: apA.Key, Cert: apA.Cert}, Recipient: apB.Cert, Now: time.Now}
	leg := pmode.SDKMessageLeg()
	rb := &receiveBench{s: s, d: d, dir: dir, msgs: make([]packedMsg, n)}
	run := fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff)
	for i := range rb.msgs {
		id := fmt.Sprintf("%s-5b1a-4c8e-9d6f-%012d", run, i)
		m := &sdkmsg.Message{CreationDateTime: sdkmsg.FormatTime(time.Now()), MessageID: id, ConversationID: id, Label: "Bänk",
			Sender:    sdkmsg.Party{ID: DemoParticipantA},
			Recipient: sdkmsg.Party{ID: DemoParticipantB, Attention: &sdkmsg.Attention{FunctionAddress: "socialtjansten"}},
			Documents: []sdkmsg.Document{{DocumentID: "d1", Index: "1", Files: []sdkmsg.File{{FileName: "a.pdf", ContentType: "application/pdf", Content: pdf}}}}}
		plain, err := m.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		x, err := sealer.Seal(plain, orgB.Cert, "socialtjansten")
		if err != nil {
			b.Fatal(err)
		}
		um := leg.UserMessage(d.Tenants[0].APPartyID, d.Tenants[1].APPartyID, id, DemoParticipantA, DemoParticipantB)
		um.Info.MessageID = id
		var buf bytes.Buffer
		ct, _, err := packer.Pack(&buf, um, []as4.Payload{{ContentID: leg.PayloadCID, MimeType: leg.PayloadMimeType, Data: x}})
		if err != nil {
			b.Fatal(err)
		}
		rb.msgs[i] = packedMsg{ct, buf.Bytes()}
	}
	return rb
}

// report adds msg/s and the p50/p99 latency of one receive.
func report(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "msg/s")
	b.ReportMetric(float64(pct(lat, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(lat, 99).Microseconds())/1000, "p99-ms")
}

func isReceipt(body []byte) bool {
	return bytes.Contains(body, []byte("Receipt")) && !bytes.Contains(body, []byte("EBMS:"))
}

// BenchmarkReceiveLoopback posts AS4 messages to Kommun B's AS4 endpoint over mutual
// TLS on loopback (the local system's real server: TLS, HTTP, the engine on bbolt and
// payload files) and waits for each synchronous signed receipt. B's workers deliver the
// messages (and send kvittens) meanwhile, as in service. Sub-benchmarks: 1 and 4
// concurrent clients.
func BenchmarkReceiveLoopback(b *testing.B) {
	for _, conc := range []int{1, 4} {
		b.Run(fmt.Sprintf("clients=%d", conc), func(b *testing.B) {
			rb := newReceiveBench(b, b.N)
			res, err := dns.New(rb.d.DNSServer)
			if err != nil {
				b.Fatal(err)
			}
			pki := filepath.Join(rb.dir, demoPKIDir)
			pair, err := tls.LoadX509KeyPair(filepath.Join(pki, "tls-a.cert.pem"), filepath.Join(pki, "tls-a.key.pem"))
			if err != nil {
				b.Fatal(err)
			}
			cas, err := demopki.LoadCerts(filepath.Join(pki, "tls-ca.ca.pem"))
			if err != nil {
				b.Fatal(err)
			}
			roots := x509.NewCertPool()
			for _, c := range cas {
				roots.AddCert(c)
			}
			tr, err := httpx.NewTransport(httpx.TransportOptions{Cert: pair, Roots: roots, DialContext: res.DialContext, Timeout: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			defer tr.CloseIdle()
			url := rb.d.Tenants[1].AS4EndpointURL
			lat := make([]time.Duration, b.N)
			var next, failed int
			var mu sync.Mutex
			var wg sync.WaitGroup
			b.ResetTimer()
			for range conc {
				wg.Go(func() {
					for {
						mu.Lock()
						i := next
						next++
						mu.Unlock()
						if i >= b.N {
							return
						}
						t0 := time.Now()
						_, body, err := tr.Post(context.Background(), url, rb.msgs[i].ct, bytes.NewReader(rb.msgs[i].body))
						lat[i] = time.Since(t0)
						if err != nil || !isReceipt(body) {
							mu.Lock()
							failed++
							mu.Unlock()
							b.Errorf("message %d: %v %.200s", i, err, body)
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if failed == 0 {
				report(b, lat)
			}
		})
	}
}

// BenchmarkReceiveInProcess is the same messages handed to B's engine in the same
// running system without TLS and HTTP (Engine.Receive): the difference to
// BenchmarkReceiveLoopback/clients=1 is what the transport costs.
func BenchmarkReceiveInProcess(b *testing.B) {
	rb := newReceiveBench(b, b.N)
	e := rb.s.Engine("kommun-b")
	if e == nil {
		b.Fatal("no engine for kommun-b")
	}
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		r, err := e.Receive(context.Background(), "kommun-b", rb.msgs[i].ct, bytes.NewReader(rb.msgs[i].body))
		lat[i] = time.Since(t0)
		if err != nil || !isReceipt(r.Body) {
			b.Fatalf("message %d: %v %.200s", i, err, r.Body)
		}
	}
	b.StopTimer()
	report(b, lat)
}
