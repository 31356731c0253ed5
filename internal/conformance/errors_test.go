package conformance

import (
	"context"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/internal/localsys"
)

// exchange is one AS4 exchange of A's AP, as its transport saw it.
type exchange struct {
	ct, body, respCT string
	resp             []byte
	err              error
}

// editingTransport hands each message A's AP posts to the test goroutine, which may
// change it (the re-signing driver needs the test's *testing.T), posts the result and
// keeps the exchange.
type editingTransport struct {
	msh.Transport
	edit chan editRequest
	mu   sync.Mutex
	seen []exchange
}

type editRequest struct {
	ct    string
	body  []byte
	reply chan [2]string
}

func (e *editingTransport) Post(ctx context.Context, u, ct string, body io.Reader) (string, []byte, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", nil, err
	}
	reply := make(chan [2]string, 1)
	select {
	case e.edit <- editRequest{ct, b, reply}:
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
	var got [2]string
	select {
	case got = <-reply:
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
	rct, resp, err := e.Transport.Post(ctx, u, got[0], strings.NewReader(got[1]))
	e.mu.Lock()
	e.seen = append(e.seen, exchange{got[0], got[1], rct, resp, err})
	e.mu.Unlock()
	return rct, resp, err
}

// countingTransport counts the AS4 posts of an AP.
type countingTransport struct {
	msh.Transport
	n atomic.Int64
}

func (c *countingTransport) Post(ctx context.Context, u, ct string, body io.Reader) (string, []byte, error) {
	c.n.Add(1)
	return c.Transport.Post(ctx, u, ct, body)
}

// badGzipRun is what one run showed: A's AP sends a message submitted through A's SDK
// API, the driver replaces its compressed payload with bytes that are not gzip and signs
// it again with A's AP key, and B's AP answers.
type badGzipRun struct {
	aux   *auxSystem
	id    string
	final map[string]string // status and the last event's reason
	ex    []exchange        // A's exchanges
	bOut  int64             // B's AS4 exchanges
}

func runBadGzip(t *testing.T) badGzipRun {
	t.Helper()
	edit := &editingTransport{edit: make(chan editRequest)}
	bOut := &countingTransport{}
	a := startAux(t, nil, localsys.Options{Retry: &msh.RetryPolicy{Timeout: 300 * time.Millisecond, Retries: 1, Strategy: msh.RetryConstant},
		WrapTransport: func(tenant string, tr msh.Transport) msh.Transport {
			if tenant == "kommun-a" {
				edit.Transport = tr
				return edit
			}
			bOut.Transport = tr
			return bOut
		}})
	id := a.submit(t, "registrator")
	select {
	case req := <-edit.edit:
		e := openPacked(t, req.ct, req.body)
		e.editPlain(func([]byte) []byte { return []byte("this is not gzip") })
		e.resign()
		ct, body := e.bytes()
		req.reply <- [2]string{ct, string(body)}
	case <-time.After(20 * time.Second):
		t.Fatal("A's AP posted nothing")
	}
	attrs := a.waitFinal(t, id)
	r := badGzipRun{aux: a, id: id, final: map[string]string{"status": attrs.MessageStatus}, bOut: bOut.n.Load()}
	if n := len(attrs.Events); n > 0 {
		r.final["reason"] = attrs.Events[n-1].Reason
	}
	edit.mu.Lock()
	r.ex = append([]exchange(nil), edit.seen...)
	edit.mu.Unlock()
	return r
}

// TA11: SenderErrorsTo is not used: the receiving MSH reports the error on the
// back-channel of the same HTTP exchange (PMode ErrorHandling.Report.AsResponse; no
// SenderErrorsTo address exists in Brevduva's P-Modes), and makes no AS4 exchange of its
// own to report it.
func TestAS4_CP_TA11_ErrorsOnBackChannel(t *testing.T) {
	run := runBadGzip(t)
	ex := run.ex
	if len(ex) != 1 || ex[0].err != nil {
		t.Fatalf("A's exchanges: %d, first error %v", len(ex), firstErr(ex))
	}
	if got := ebmsError(ex[0].resp); got != "EBMS:0303" || !strings.Contains(ex[0].respCT, "soap+xml") {
		t.Fatalf("back-channel answer %q (%s), want the EBMS:0303 signal", got, ex[0].respCT)
	}
	if run.bOut != 0 {
		t.Fatalf("B's AP made %d AS4 exchanges of its own (an error sent elsewhere, or a kvittens)", run.bOut)
	}
}

func firstErr(ex []exchange) error {
	if len(ex) == 0 {
		return nil
	}
	return ex[0].err
}

// TA31: the EBMS:0303 is also reported to the producer and the consumer: A's SDK API
// shows the message as MESSAGE_EXCHANGE_ERROR with reason EBMS:0303 (producer), and B's
// log has the refusal with the code and the message id (consumer side; nothing
// delivered).
func TestAS4_CP_TA31_DecompressionErrorReported(t *testing.T) {
	run := runBadGzip(t)
	a, id := run.aux, run.id
	if f := run.final; f["status"] != "MESSAGE_EXCHANGE_ERROR" || !strings.HasPrefix(f["reason"], "EBMS:0303") {
		t.Fatalf("producer sees %v, want MESSAGE_EXCHANGE_ERROR with EBMS:0303", f)
	}
	if l := a.logLines(`"inbound message refused"`, `"tenant":"kommun-b"`, `"code":"EBMS:0303"`, id); len(l) != 1 {
		t.Fatalf("B's log lines for the refusal: %q", l)
	}
	if code, b := a.api(t, 1, "GET", "/sdk/mailboxes/registrator/messages/"+id, nil); code != 404 {
		t.Fatalf("delivered: %d %s", code, b)
	}
}
