// Package enginetest is a harness for the access point engine of core/msh: two access
// points (tenants of two engines, A and B, each on its own ports) that reach each other
// through an in-process Transport calling the peer's Engine.Receive, a fake Discoverer
// built from the demo PKI (internal/demopki), a controllable clock, and helpers to run the
// workers and build SDK messages. Adapters of the msh ports (in-memory, infra/local, AWS)
// run the same end-to-end scenarios by giving NewWorld their own ports.
package enginetest

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

// Participants and function addresses of the two demo tenants.
const (
	PartA = "0203:kommun-a.se"
	PartB = "0203:kommun-b.se"
	FnA   = "kansli"
	FnB   = "registrator"
)

// T0 is the clock's start.
var T0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// Directory is a fake Discoverer: participant (lower-cased) → result, for every document.
type Directory struct {
	mu      sync.Mutex
	Entries map[string]*discovery.Result
}

// Lookup returns a copy of the participant's entry or discovery.ErrNotFound.
func (d *Directory) Lookup(_ context.Context, participant, document smp.Identifier) (*discovery.Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.Entries[strings.ToLower(participant.Value)]
	if !ok {
		return nil, fmt.Errorf("enginetest: %s: %w", participant.Value, discovery.ErrNotFound)
	}
	c := *r
	c.Participant, c.Document = participant, document
	return &c, nil
}

// ErrDown is the Transport error of an AP that is down.
var ErrDown = errors.New("enginetest: connection refused")

// Network is a Transport that calls the receiving engine's Receive directly.
type Network struct {
	mu    sync.Mutex
	aps   map[string]*AP
	down  map[string]bool
	posts map[string]int
	last  map[string]Posted
}

// Posted is a message as it was posted.
type Posted struct {
	ContentType string
	Body        []byte
}

// Post implements msh.Transport.
func (n *Network) Post(ctx context.Context, url, ct string, body io.Reader) (string, []byte, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", nil, err
	}
	n.mu.Lock()
	n.posts[url]++
	ap, ok := n.aps[url]
	down := n.down[url]
	n.last[url] = Posted{ct, b}
	n.mu.Unlock()
	if !ok || down {
		return "", nil, ErrDown
	}
	r, err := ap.Engine.Receive(ctx, ap.Tenant.ID, ct, bytes.NewReader(b))
	if err != nil {
		return "", nil, fmt.Errorf("enginetest: http 500: %w", err)
	}
	return r.ContentType, r.Body, nil
}

// SetDown makes posts to url fail (true) or reach the AP again (false).
func (n *Network) SetDown(url string, down bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down[url] = down
}

// Posts reports how many posts went to url.
func (n *Network) Posts(url string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.posts[url]
}

// Last returns the last message posted to url.
func (n *Network) Last(url string) Posted {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.last[url]
}

// Ports are the msh ports of one engine.
type Ports struct {
	Store    msh.MessageStore
	Payloads msh.PayloadStore
	Guard    msh.DuplicateGuard
	Queue    msh.OutboundQueue
	Mailbox  msh.Mailbox
}

// MemoryPorts returns the in-memory adapters of core/msh/mshtest.
func MemoryPorts(clock msh.Clock) Ports {
	return Ports{mshtest.NewMessages(), mshtest.NewPayloads(), mshtest.NewGuard(clock), mshtest.NewQueue(clock, 1000), mshtest.NewMailbox()}
}

// AP is one access point with one tenant.
type AP struct {
	Name   string
	URL    string
	Tenant msh.TenantConfig
	Ports  Ports
	// Faults, when set before Start, wraps the ports.
	Faults *mshtest.Faults
	Engine *msh.Engine
}

// World is two APs, A (tenant of PartA) and B (PartB), and what connects them.
type World struct {
	T     testing.TB
	Clock *mshtest.Clock
	PKI   *demopki.Set
	Dir   *Directory
	Net   *Network
	A, B  *AP
	// Configure, when set, changes the options of every engine Start makes.
	Configure func(*msh.EngineOptions)
}

// Decrypter returns k as a crypto.Decrypter.
func Decrypter(t testing.TB, k crypto.Signer) crypto.Decrypter {
	d, ok := k.(crypto.Decrypter)
	if !ok {
		t.Fatalf("key %T cannot decrypt", k)
	}
	return d
}

// NewWorld builds and starts both APs. ports returns the ports of an AP by name ("a",
// "b"); nil means MemoryPorts.
func NewWorld(t testing.TB, ports func(name string, clock msh.Clock) Ports) *World {
	t.Helper()
	if ports == nil {
		ports = func(_ string, c msh.Clock) Ports { return MemoryPorts(c) }
	}
	pki := demopki.ForTest(t)
	clock := mshtest.NewClock(T0)
	w := &World{T: t, Clock: clock, PKI: pki, Dir: &Directory{Entries: map[string]*discovery.Result{}},
		Net: &Network{aps: map[string]*AP{}, down: map[string]bool{}, posts: map[string]int{}, last: map[string]Posted{}}}
	apTrust := trust.NewStore([]*x509.Certificate{pki.CA("ap-ca").Cert.Cert}, clock.Now)
	o2oTrust := trust.NewStore([]*x509.Certificate{pki.CA("o2o-ca").Cert.Cert}, clock.Now)
	mk := func(name, participant, apLeaf, orgLeaf string, fns []string) *AP {
		apc, org := pki.Leaf(apLeaf), pki.Leaf(orgLeaf)
		a := &AP{Name: name, URL: "https://ap-" + name + ".example/as4", Ports: ports(name, clock), Tenant: msh.TenantConfig{
			ID: "t-" + name, Participant: participant, APPartyID: apc.Cert.Subject.CommonName,
			AS4Key: apc.Key, AS4Decrypter: Decrypter(t, apc.Key), AS4Cert: apc.Cert,
			O2OKey: org.Key, O2ODecrypter: Decrypter(t, org.Key), O2OCert: org.Cert,
			APTrust: apTrust, O2OTrust: o2oTrust, FunctionAddresses: fns,
		}}
		w.Dir.Entries[strings.ToLower(participant)] = &discovery.Result{
			EndpointURL: a.URL, APCertificate: apc.Cert,
			O2O: []certpub.Certificate{{Use: certpub.Signing, Cert: org.Cert}},
		}
		w.Net.aps[a.URL] = a
		return a
	}
	w.A = mk("a", PartA, "ap-a", "org-a", []string{FnA})
	w.B = mk("b", PartB, "ap-b", "org-b", []string{FnB, "ekonomi"})
	w.Start(w.A)
	w.Start(w.B)
	return w
}

// Start (re)creates an AP's engine on its ports, as after a restart of the process.
func (w *World) Start(a *AP) {
	w.T.Helper()
	p := a.Ports
	if a.Faults != nil {
		f := a.Faults
		p = Ports{f.WithMessages(p.Store), f.WithPayloads(p.Payloads), f.WithGuard(p.Guard), f.WithQueue(p.Queue), f.WithMailbox(p.Mailbox)}
	}
	o := msh.EngineOptions{
		Tenants: []msh.TenantConfig{a.Tenant}, Store: p.Store, Payloads: p.Payloads, Guard: p.Guard, Queue: p.Queue, Mailbox: p.Mailbox,
		Clock: w.Clock, Discovery: w.Dir, Transport: w.Net,
	}
	if w.Configure != nil {
		w.Configure(&o)
	}
	e, err := msh.NewEngine(o)
	if err != nil {
		w.T.Fatal(err)
	}
	a.Engine = e
}

// Pump runs both engines' workers until neither has due work and returns the worker
// errors (fault tests expect some).
func (w *World) Pump() []error {
	w.T.Helper()
	var errs []error
	for range 500 {
		worked := false
		for _, a := range []*AP{w.A, w.B} {
			ok, err := a.Engine.RunOnce(context.Background(), a.Tenant.ID)
			if err != nil {
				errs = append(errs, err)
			}
			worked = worked || ok
		}
		if !worked {
			return errs
		}
	}
	w.T.Fatal("enginetest: work does not settle")
	return nil
}

// MustPump is Pump failing the test on a worker error.
func (w *World) MustPump() {
	w.T.Helper()
	if errs := w.Pump(); len(errs) > 0 {
		w.T.Fatalf("worker errors: %v", errs)
	}
}

// PDF is the attachment of SDKMessage.
var PDF = append([]byte("%PDF-1.4\n% Brevduva test\n"), bytes.Repeat([]byte{0, 1, 2, 0xff, '\n'}, 2000)...)

// SDKMessage returns a valid SDK message (id must be a UUID) from → to, for function
// address fn, with PDF attached.
func SDKMessage(t testing.TB, id, from, to, fn string) []byte {
	t.Helper()
	m := &sdkmsg.Message{
		CreationDateTime: sdkmsg.FormatTime(T0),
		MessageID:        id,
		ConversationID:   "c0c0c0c0" + id[8:],
		Label:            "Ansökan om bygglov",
		Confidentiality:  true,
		Recipient:        sdkmsg.Party{ID: to, Attention: &sdkmsg.Attention{FunctionAddress: fn}},
		Sender:           sdkmsg.Party{ID: from},
		Documents: []sdkmsg.Document{{
			DocumentID: "doc-1", DocumentName: "Ansökan",
			Texts: []string{"Se bifogad fil."},
			Files: []sdkmsg.File{{FileName: "ansokan.pdf", ContentType: "application/pdf", Content: PDF}},
		}},
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ID returns the n-th test message id (a UUID).
func ID(n int) string { return fmt.Sprintf("0d6b8f8e-2f7c-4d0e-9a31-%012d", n) }

// Submit submits SDKMessage(id, A → B, fn) at A.
func (w *World) Submit(id, fn string) (*msh.Outbound, error) {
	return w.A.Engine.Submit(context.Background(), w.A.Tenant.ID, msh.Submission{Message: SDKMessage(w.T, id, PartA, PartB, fn)})
}

// Outbound returns A's outbox entry.
func (w *World) Outbound(id string) *msh.Outbound {
	w.T.Helper()
	o, err := w.A.Engine.Outbound(context.Background(), w.A.Tenant.ID, id)
	if err != nil {
		w.T.Fatalf("outbound %s: %v", id, err)
	}
	return o
}

// WantState fails unless A's outbox entry id is in state s.
func (w *World) WantState(id string, s msh.State) *msh.Outbound {
	w.T.Helper()
	o := w.Outbound(id)
	if o.State != s {
		w.T.Fatalf("%s: state %s (reason %q, detail %q), want %s; history %+v", id, o.State, o.Reason, o.Detail, s, o.History)
	}
	return o
}

// Mail lists B's mailbox fn (all of it).
func (w *World) Mail(fn string) []*msh.Mail {
	w.T.Helper()
	var out []*msh.Mail
	cur := ""
	for {
		l, err := w.B.Engine.ListMail(context.Background(), w.B.Tenant.ID, fn, msh.MailFilter{Cursor: cur})
		if err != nil {
			w.T.Fatal(err)
		}
		out = append(out, l.Items...)
		if cur = l.Next; cur == "" {
			return out
		}
	}
}
