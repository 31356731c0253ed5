package msh_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/internal/demopki"
)

const (
	partA = "0203:kommun-a.se"
	partB = "0203:kommun-b.se"
	fnB   = "registrator"
)

var e0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// --- fakes ---------------------------------------------------------------------------

// directory is a fake Discoverer built from the demo PKI.
type directory struct {
	mu      sync.Mutex
	entries map[string]*discovery.Result // participant → result (both document types)
	calls   int
}

func (d *directory) Lookup(_ context.Context, participant, document smp.Identifier) (*discovery.Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	r, ok := d.entries[strings.ToLower(participant.Value)]
	if !ok {
		return nil, fmt.Errorf("fake: %s: %w", participant.Value, discovery.ErrNotFound)
	}
	c := *r
	c.Participant, c.Document = participant, document
	return &c, nil
}

// network is a Transport that calls the receiving engine's Receive directly.
type network struct {
	mu    sync.Mutex
	aps   map[string]func() (*msh.Engine, string) // endpoint URL → engine and tenant
	down  map[string]bool
	posts map[string]int
	last  map[string][]byte // endpoint → last posted body (replay tests)
	lastT map[string]string
}

func newNetwork() *network {
	return &network{aps: map[string]func() (*msh.Engine, string){}, down: map[string]bool{}, posts: map[string]int{},
		last: map[string][]byte{}, lastT: map[string]string{}}
}

var errDown = errors.New("fake: connection refused")

func (n *network) Post(ctx context.Context, url, ct string, body io.Reader) (string, []byte, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", nil, err
	}
	n.mu.Lock()
	n.posts[url]++
	ap, ok := n.aps[url]
	down := n.down[url]
	n.last[url], n.lastT[url] = b, ct
	n.mu.Unlock()
	if !ok || down {
		return "", nil, errDown
	}
	e, tenant := ap()
	r, err := e.Receive(ctx, tenant, ct, bytes.NewReader(b))
	if err != nil {
		return "", nil, fmt.Errorf("fake: http 500: %w", err)
	}
	return r.ContentType, r.Body, nil
}

func (n *network) setDown(url string, down bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down[url] = down
}

// --- a two-AP world --------------------------------------------------------------------

type stores struct {
	msgs  *mshtest.Messages
	pay   *mshtest.Payloads
	guard *mshtest.Guard
	queue *mshtest.Queue
	mail  *mshtest.Mailbox
}

func newStores(clock msh.Clock) *stores {
	return &stores{mshtest.NewMessages(), mshtest.NewPayloads(), mshtest.NewGuard(clock), mshtest.NewQueue(clock, 1000), mshtest.NewMailbox()}
}

type ap struct {
	name   string
	tenant msh.TenantConfig
	st     *stores
	faults *mshtest.Faults // nil: none
	eng    *msh.Engine
	url    string
}

type world struct {
	t     *testing.T
	clock *mshtest.Clock
	pki   *demopki.Set
	dir   *directory
	net   *network
	a, b  *ap
}

func decrypter(t testing.TB, k crypto.Signer) crypto.Decrypter {
	d, ok := k.(crypto.Decrypter)
	if !ok {
		t.Fatalf("key %T cannot decrypt", k)
	}
	return d
}

func newWorld(t *testing.T) *world {
	t.Helper()
	pki := demopki.ForTest(t)
	clock := mshtest.NewClock(e0)
	w := &world{t: t, clock: clock, pki: pki, dir: &directory{entries: map[string]*discovery.Result{}}, net: newNetwork()}
	apTrust := trust.NewStore([]*x509.Certificate{pki.CA("ap-ca").Cert.Cert}, clock.Now)
	o2oTrust := trust.NewStore([]*x509.Certificate{pki.CA("o2o-ca").Cert.Cert}, clock.Now)
	mk := func(name, participant, apLeaf, orgLeaf string, fns []string) *ap {
		apc, org := pki.Leaf(apLeaf), pki.Leaf(orgLeaf)
		a := &ap{name: name, url: "https://" + name + ".example/as4", st: newStores(clock), tenant: msh.TenantConfig{
			ID: "t-" + name, Participant: participant, APPartyID: apc.Cert.Subject.CommonName,
			AS4Key: apc.Key, AS4Decrypter: decrypter(t, apc.Key), AS4Cert: apc.Cert,
			O2OKey: org.Key, O2ODecrypter: decrypter(t, org.Key), O2OCert: org.Cert,
			APTrust: apTrust, O2OTrust: o2oTrust, FunctionAddresses: fns,
		}}
		w.dir.entries[strings.ToLower(participant)] = &discovery.Result{
			EndpointURL: a.url, APCertificate: apc.Cert,
			O2O: []certpub.Certificate{{Use: certpub.Signing, Cert: org.Cert}},
		}
		w.net.aps[a.url] = func() (*msh.Engine, string) { return a.eng, a.tenant.ID }
		return a
	}
	w.a = mk("a", partA, "ap-a", "org-a", []string{"kansli"})
	w.b = mk("b", partB, "ap-b", "org-b", []string{fnB, "ekonomi"})
	w.start(w.a)
	w.start(w.b)
	return w
}

// start (re)creates an AP's engine on its stores, as after a restart.
func (w *world) start(a *ap) {
	w.t.Helper()
	st := a.st
	var (
		msgs  msh.MessageStore   = st.msgs
		pay   msh.PayloadStore   = st.pay
		guard msh.DuplicateGuard = st.guard
		queue msh.OutboundQueue  = st.queue
		mail  msh.Mailbox        = st.mail
	)
	if a.faults != nil {
		msgs, pay, guard, queue, mail = a.faults.WithMessages(msgs), a.faults.WithPayloads(pay), a.faults.WithGuard(guard), a.faults.WithQueue(queue), a.faults.WithMailbox(mail)
	}
	e, err := msh.NewEngine(msh.EngineOptions{
		Tenants: []msh.TenantConfig{a.tenant}, Store: msgs, Payloads: pay, Guard: guard, Queue: queue, Mailbox: mail,
		Clock: w.clock, Discovery: w.dir, Transport: w.net,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	a.eng = e
}

// pump runs both engines' workers until neither has due work. Worker errors are
// returned (fault tests expect some).
func (w *world) pump() []error {
	w.t.Helper()
	var errs []error
	for range 200 {
		worked := false
		for _, a := range []*ap{w.a, w.b} {
			ok, err := a.eng.RunOnce(context.Background(), a.tenant.ID)
			if err != nil {
				errs = append(errs, err)
			}
			worked = worked || ok
		}
		if !worked {
			return errs
		}
	}
	w.t.Fatal("pump: work does not settle")
	return nil
}

func (w *world) mustPump() {
	w.t.Helper()
	if errs := w.pump(); len(errs) > 0 {
		w.t.Fatalf("worker errors: %v", errs)
	}
}

var pdf = append([]byte("%PDF-1.4\n% Brevduva test\n"), bytes.Repeat([]byte{0, 1, 2, 0xff, '\n'}, 2000)...)

func sdkMessage(t testing.TB, id, from, to, fn string) []byte {
	t.Helper()
	m := &sdkmsg.Message{
		CreationDateTime: sdkmsg.FormatTime(e0),
		MessageID:        id,
		ConversationID:   "c0c0c0c0" + id[8:],
		Label:            "Ansökan om bygglov",
		Confidentiality:  true,
		Recipient:        sdkmsg.Party{ID: to, Attention: &sdkmsg.Attention{FunctionAddress: fn}},
		Sender:           sdkmsg.Party{ID: from},
		Documents: []sdkmsg.Document{{
			DocumentID: "doc-1", DocumentName: "Ansökan",
			Texts: []string{"Se bifogad fil."},
			Files: []sdkmsg.File{{FileName: "ansokan.pdf", ContentType: "application/pdf", Content: pdf}},
		}},
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (w *world) submit(id, fn string) *msh.Outbound {
	w.t.Helper()
	o, err := w.a.eng.Submit(context.Background(), w.a.tenant.ID, msh.Submission{Message: sdkMessage(w.t, id, partA, partB, fn)})
	if err != nil {
		w.t.Fatalf("submit %s: %v", id, err)
	}
	return o
}

func (w *world) outbound(id string) *msh.Outbound {
	w.t.Helper()
	o, err := w.a.eng.Outbound(context.Background(), w.a.tenant.ID, id)
	if err != nil {
		w.t.Fatalf("outbound %s: %v", id, err)
	}
	return o
}

func (w *world) wantState(id string, s msh.State) *msh.Outbound {
	w.t.Helper()
	o := w.outbound(id)
	if o.State != s {
		w.t.Fatalf("%s: state %s (reason %q, detail %q), want %s; history %+v", id, o.State, o.Reason, o.Detail, s, o.History)
	}
	return o
}

func (w *world) mailCount(fn string) int {
	w.t.Helper()
	l, err := w.b.eng.ListMail(context.Background(), w.b.tenant.ID, fn, msh.MailFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	return len(l.Items)
}

// --- tests ---------------------------------------------------------------------------

func TestEngineDeliversAndAccepts(t *testing.T) {
	w := newWorld(t)
	const id = "0d6b8f8e-2f7c-4d0e-9a31-000000000001"
	msg := sdkMessage(t, id, partA, partB, fnB)
	o, err := w.a.eng.Submit(context.Background(), w.a.tenant.ID, msh.Submission{Message: msg})
	if err != nil {
		t.Fatal(err)
	}
	if o.State != msh.StateScheduled || o.Kind != msh.KindMessage || o.FunctionAddress != fnB || o.Recipient != partB {
		t.Fatalf("submitted %+v", o)
	}
	if _, err := w.a.eng.Submit(context.Background(), w.a.tenant.ID, msh.Submission{Message: msg}); !errors.Is(err, msh.ErrDuplicate) {
		t.Fatalf("second submit: %v, want ErrDuplicate", err)
	}
	w.mustPump()
	o = w.wantState(id, msh.StateAccepted)
	if o.Attempts != 1 {
		t.Fatalf("attempts %d", o.Attempts)
	}
	var seen []msh.State
	for _, e := range o.History {
		seen = append(seen, e.State)
	}
	if got := fmt.Sprint(seen); got != "[SCHEDULED SUBMITTED WAITING_FOR_RECEIPT ACCEPTED]" {
		t.Fatalf("history %s", got)
	}
	m, err := w.b.eng.GetMail(context.Background(), w.b.tenant.ID, fnB, id)
	if err != nil {
		t.Fatal(err)
	}
	// The messagePayload element arrives byte for byte; its XML declaration cannot travel
	// inside the XHE's PayloadContent.
	decl := []byte(`<?xml version="1.0" encoding="UTF-8"?>`)
	if !bytes.HasPrefix(msg, decl) || !bytes.Equal(m.Body, bytes.TrimPrefix(msg, decl)) {
		t.Fatalf("delivered SDK message differs from the submitted one:\n%q\n%q", m.Body[:300], msg[:300])
	}
	got, err := sdkmsg.Parse(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	if f := got.Documents[0].Files[0]; !bytes.Equal(f.Content, pdf) || f.ContentType != "application/pdf" {
		t.Fatal("pdf attachment differs")
	}
	if m.Sender != partA || m.Recipient != partB || !m.Confidential || m.Label != "Ansökan om bygglov" || m.Sealed {
		t.Fatalf("mail %+v", m)
	}
	if m.ReadAt != (time.Time{}) {
		t.Fatal("unread mail has a read time")
	}
	w.clock.Advance(time.Minute)
	r, err := w.b.eng.MarkRead(context.Background(), w.b.tenant.ID, fnB, id)
	if err != nil || !r.ReadAt.Equal(e0.Add(time.Minute)) {
		t.Fatalf("mark read: %v %v", r, err)
	}
	// B's kvittens is in B's outbox as a receipt, finished by the AS4 receipt.
	k, err := w.b.eng.Outbound(context.Background(), w.b.tenant.ID, "kvittens-"+id)
	if err != nil || k.Kind != msh.KindReceipt || k.State != msh.StateAccepted || k.RefToMessageID != id {
		t.Fatalf("kvittens outbound %+v %v", k, err)
	}
	if _, err := w.a.eng.Outbound(context.Background(), w.a.tenant.ID, "kvittens-kvittens-"+id); !errors.Is(err, msh.ErrNotFound) {
		t.Fatalf("a kvittens was answered: %v", err)
	}
	if w.mailCount(fnB) != 1 {
		t.Fatal("mail count")
	}
}

func TestEngineUnknownFunctionAddress(t *testing.T) {
	w := newWorld(t)
	const id = "0d6b8f8e-2f7c-4d0e-9a31-000000000002"
	w.submit(id, "okand-funktion")
	w.mustPump()
	o := w.wantState(id, msh.StateRejected)
	if o.Reason != "BV" || o.Detail != "not-found" {
		t.Fatalf("reason %q detail %q", o.Reason, o.Detail)
	}
	if w.mailCount("okand-funktion") != 0 || w.mailCount(fnB) != 0 {
		t.Fatal("rejected message delivered")
	}
}

func TestEngineWrongO2OSigner(t *testing.T) {
	w := newWorld(t)
	// A seals with another organisation's key than CertPub publishes for A.
	other, err := w.pki.CA("o2o-ca").Issue("org-x", demopki.Options{Bits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	w.a.tenant.O2OKey, w.a.tenant.O2ODecrypter, w.a.tenant.O2OCert = other.Key, decrypter(t, other.Key), other.Cert
	w.start(w.a)
	const id = "0d6b8f8e-2f7c-4d0e-9a31-000000000003"
	w.submit(id, fnB)
	w.mustPump()
	o := w.wantState(id, msh.StateRejected)
	if o.Reason != "SIG" || o.Detail != "security" {
		t.Fatalf("reason %q detail %q", o.Reason, o.Detail)
	}
	if w.mailCount(fnB) != 0 {
		t.Fatal("message with a wrong signer delivered")
	}
}

func TestEngineRetriesThenExchangeError(t *testing.T) {
	w := newWorld(t)
	w.net.setDown(w.b.url, true)
	const id = "0d6b8f8e-2f7c-4d0e-9a31-000000000004"
	w.submit(id, fnB)
	w.mustPump()
	o := w.wantState(id, msh.StateScheduledForResend)
	if o.Attempts != 1 || !o.NextAttempt.Equal(e0.Add(3*time.Minute)) || o.Reason != "EBMS:0005" {
		t.Fatalf("after first attempt %+v", o)
	}
	// "12;4;CONSTANT": retries 3, 6, 9 and 12 minutes after the first send.
	for i := 1; i <= 4; i++ {
		w.clock.Advance(3*time.Minute - time.Second)
		w.mustPump()
		if got := w.outbound(id).Attempts; got != i {
			t.Fatalf("attempt %d ran early (attempts %d)", i+1, got)
		}
		w.clock.Advance(time.Second)
		w.mustPump()
		if got := w.outbound(id).Attempts; got != i+1 {
			t.Fatalf("retry %d: attempts %d", i, got)
		}
	}
	o = w.wantState(id, msh.StateMessageExchangeError)
	if o.Reason != "EBMS:0301" {
		t.Fatalf("reason %q", o.Reason)
	}
	if n := w.net.posts[w.b.url]; n != 5 {
		t.Fatalf("%d posts, want 5", n)
	}
	// B back later: nothing more is sent.
	w.net.setDown(w.b.url, false)
	w.clock.Advance(time.Hour)
	w.mustPump()
	w.wantState(id, msh.StateMessageExchangeError)
}

func TestEngineRecoversWithinRetryWindow(t *testing.T) {
	w := newWorld(t)
	w.net.setDown(w.b.url, true)
	const id = "0d6b8f8e-2f7c-4d0e-9a31-000000000005"
	w.submit(id, fnB)
	w.mustPump()
	w.clock.Advance(3 * time.Minute)
	w.mustPump()
	w.wantState(id, msh.StateScheduledForResend)
	w.net.setDown(w.b.url, false)
	w.clock.Advance(3 * time.Minute)
	w.mustPump()
	o := w.wantState(id, msh.StateAccepted)
	if o.Attempts != 3 {
		t.Fatalf("attempts %d", o.Attempts)
	}
	if w.mailCount(fnB) != 1 {
		t.Fatal("not delivered")
	}
}

func TestEngineDuplicateAS4Message(t *testing.T) {
	w := newWorld(t)
	const id = "0d6b8f8e-2f7c-4d0e-9a31-000000000006"
	w.submit(id, fnB)
	w.mustPump()
	w.wantState(id, msh.StateAccepted)
	body, ct := w.net.last[w.b.url], w.net.lastT[w.b.url]
	// The last post to B was A's message (B's kvittens went to A's URL).
	var receipts [][]byte
	for range 2 {
		r, err := w.b.eng.Receive(context.Background(), w.b.tenant.ID, ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 200 || !bytes.Contains(r.Body, []byte("Receipt")) || bytes.Contains(r.Body, []byte("eb:Error")) {
			t.Fatalf("duplicate answered %d %s", r.Status, r.Body)
		}
		receipts = append(receipts, r.Body)
	}
	if !bytes.Equal(receipts[0], receipts[1]) {
		t.Fatal("two different receipts for the same bytes")
	}
	w.mustPump()
	if w.mailCount(fnB) != 1 {
		t.Fatal("duplicate delivered")
	}
	if _, err := w.b.eng.Outbound(context.Background(), w.b.tenant.ID, "kvittens-"+id); err != nil {
		t.Fatal(err)
	}
}

func TestEngineReceiveRefusesGarbage(t *testing.T) {
	w := newWorld(t)
	r, err := w.b.eng.Receive(context.Background(), w.b.tenant.ID, "application/soap+xml", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(r.Body, []byte("SignalMessage")) || !bytes.Contains(r.Body, []byte("errorCode=\"EBMS:")) || !bytes.Contains(r.Body, []byte("Signature")) {
		t.Fatalf("want a signed error signal, got %s", r.Body)
	}
	if _, err := w.b.eng.Receive(context.Background(), "nobody", "x", strings.NewReader("")); !errors.Is(err, msh.ErrUnknownTenant) {
		t.Fatalf("unknown tenant: %v", err)
	}
}

func TestEngineSubmitErrors(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, err := w.a.eng.Submit(ctx, w.a.tenant.ID, msh.Submission{Message: sdkMessage(t, "0d6b8f8e-2f7c-4d0e-9a31-0000000000f1", partA, "0203:nowhere.se", fnB)})
	if !errors.Is(err, msh.ErrRecipientNotFound) {
		t.Fatalf("unknown recipient: %v", err)
	}
	_, err = w.a.eng.Submit(ctx, w.a.tenant.ID, msh.Submission{Message: sdkMessage(t, "0d6b8f8e-2f7c-4d0e-9a31-0000000000f2", partB, partA, "kansli")})
	if !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("foreign sender: %v", err)
	}
	if _, err := w.a.eng.Submit(ctx, w.a.tenant.ID, msh.Submission{}); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := w.a.eng.Submit(ctx, w.a.tenant.ID, msh.Submission{Message: []byte("<not sdk/>")}); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("garbage: %v", err)
	}
}
