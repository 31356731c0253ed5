package msh_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/audit/audittest"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
)

// auditWorld is a World whose engines record into one audit log.
func auditWorld(t *testing.T, a msh.Auditor) *enginetest.World {
	w := enginetest.NewWorld(t, nil)
	w.Configure = func(o *msh.EngineOptions) { o.Audit = a }
	w.Start(w.A)
	w.Start(w.B)
	return w
}

func trail(t *testing.T, l *audit.Log, tenant string) []audit.Entry {
	t.Helper()
	p, err := l.Search(context.Background(), tenant, audit.Filter{Limit: audit.MaxSearchLimit})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Verify(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	return p.Entries
}

func steps(es []audit.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s %s %s %s", e.Type, e.MessageID+e.AS4MessageID, e.State, e.Receipt))
	}
	return out
}

// Every step of send, receive, deliver and both receipts is in the trail, in order, with
// its ids, parties, AP ids and certificate fingerprints.
func TestEngineAuditTrail(t *testing.T) {
	l, err := audit.NewLog(audit.Options{Store: audittest.NewMemory(), Now: audittest.NewClock(audittest.T0).Now})
	if err != nil {
		t.Fatal(err)
	}
	w := auditWorld(t, l)
	mid := id(70)
	submit(t, w, mid, fnB)
	w.MustPump()
	w.WantState(mid, msh.StateAccepted)
	kv := "kvittens-" + mid
	a, b := trail(t, l, w.A.Tenant.ID), trail(t, l, w.B.Tenant.ID)
	wantA := []string{
		"submitted " + mid + " SCHEDULED ",
		"state " + mid + " SUBMITTED ",
		"state " + mid + " WAITING_FOR_RECEIPT as4-receipt",
		"received " + kv + "  ",
		"state " + mid + " ACCEPTED ACCEPTED",
	}
	wantB := []string{
		"received " + mid + "  ",
		"delivered " + mid + mid + "  ACCEPTED",
		"submitted " + kv + " SCHEDULED ACCEPTED",
		"state " + kv + " SUBMITTED ",
		"state " + kv + " ACCEPTED as4-receipt",
	}
	if fmt.Sprint(steps(a)) != fmt.Sprint(wantA) {
		t.Errorf("A's trail\n got %q\nwant %q", steps(a), wantA)
	}
	if fmt.Sprint(steps(b)) != fmt.Sprint(wantB) {
		t.Errorf("B's trail\n got %q\nwant %q", steps(b), wantB)
	}
	apB, orgA, orgB := w.PKI.Leaf("ap-b").Cert, w.PKI.Leaf("org-a").Cert, w.PKI.Leaf("org-b").Cert
	waiting, accepted := a[2], a[4]
	if waiting.ToAP != apB.Subject.CommonName || waiting.APCert != audit.Fingerprint(apB.Raw) || waiting.Recipient != partB || waiting.RecipientFunction != fnB {
		t.Errorf("waiting entry %+v", waiting.Event)
	}
	if accepted.O2OCert != audit.Fingerprint(orgB.Raw) || accepted.ConversationID == "" {
		t.Errorf("accepted entry %+v", accepted.Event)
	}
	delivered := b[1]
	if delivered.O2OCert != audit.Fingerprint(orgA.Raw) || delivered.FromAP != w.A.Tenant.APPartyID || delivered.Sender != partA || delivered.RecipientFunction != fnB {
		t.Errorf("delivered entry %+v", delivered.Event)
	}
	if b[0].APCert != audit.Fingerprint(w.PKI.Leaf("ap-a").Cert.Raw) {
		t.Errorf("received entry without the sending AP's fingerprint: %+v", b[0].Event)
	}
	if w.A.Engine.AuditFailures() != 0 {
		t.Errorf("audit failures %d", w.A.Engine.AuditFailures())
	}
}

type failingAuditor struct{}

func (failingAuditor) Record(context.Context, audit.Event) error {
	return errors.New("audit store down")
}

// A failing audit store is counted and logged; the message goes through exactly once.
func TestEngineAuditFailureLosesNothing(t *testing.T) {
	w := auditWorld(t, failingAuditor{})
	mid := id(71)
	submit(t, w, mid, fnB)
	w.MustPump()
	w.WantState(mid, msh.StateAccepted)
	if n := len(w.Mail(fnB)); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
	if w.A.Engine.AuditFailures() != 5 || w.B.Engine.AuditFailures() != 5 {
		t.Fatalf("audit failures A %d B %d, want 5 each", w.A.Engine.AuditFailures(), w.B.Engine.AuditFailures())
	}
}

// A duplicate is recorded and not delivered again; a message that fails verification
// leaves no entry (anyone could send one).
func TestEngineAuditDuplicateAndForged(t *testing.T) {
	l, err := audit.NewLog(audit.Options{Store: audittest.NewMemory(), Now: audittest.NewClock(audittest.T0).Now})
	if err != nil {
		t.Fatal(err)
	}
	w := auditWorld(t, l)
	mid := id(72)
	w.Net.SetDown(w.A.URL, true) // B's kvittens stays queued: the last post to B is A's message
	submit(t, w, mid, fnB)
	w.MustPump()
	before := len(trail(t, l, w.B.Tenant.ID))
	sent := w.Net.Last(w.B.URL)
	ctx := context.Background()
	if _, err := w.B.Engine.Receive(ctx, w.B.Tenant.ID, sent.ContentType, bytes.NewReader(sent.Body)); err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(sent.Body, []byte(mid), []byte(id(73)), 1)
	if _, err := w.B.Engine.Receive(ctx, w.B.Tenant.ID, sent.ContentType, bytes.NewReader(forged)); err != nil {
		t.Fatal(err)
	}
	b := trail(t, l, w.B.Tenant.ID)
	if len(b) != before+1 {
		t.Fatalf("B's trail grew by %d, want 1: %q", len(b)-before, steps(b[before:]))
	}
	if d := b[before]; d.Type != audit.TypeDuplicate || d.AS4MessageID != mid || d.FromAP != w.A.Tenant.APPartyID {
		t.Fatalf("duplicate entry %+v", d.Event)
	}
	if n := len(w.Mail(fnB)); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}
