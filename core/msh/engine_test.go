package msh_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/internal/demopki"
)

const (
	partA = enginetest.PartA
	partB = enginetest.PartB
	fnB   = enginetest.FnB
)

var (
	e0 = enginetest.T0
	id = enginetest.ID
)

func submit(t *testing.T, w *enginetest.World, id, fn string) *msh.Outbound {
	t.Helper()
	o, err := w.Submit(id, fn)
	if err != nil {
		t.Fatalf("submit %s: %v", id, err)
	}
	return o
}

func TestEngineDeliversAndAccepts(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	ctx := context.Background()
	mid := id(1)
	msg := enginetest.SDKMessage(t, mid, partA, partB, fnB)
	o, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{Message: msg})
	if err != nil {
		t.Fatal(err)
	}
	if o.State != msh.StateScheduled || o.Kind != msh.KindMessage || o.FunctionAddress != fnB || o.Recipient != partB || o.Label == "" {
		t.Fatalf("submitted %+v", o)
	}
	if _, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{Message: msg}); !errors.Is(err, msh.ErrDuplicate) {
		t.Fatalf("second submit: %v, want ErrDuplicate", err)
	}
	w.MustPump()
	o = w.WantState(mid, msh.StateAccepted)
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
	m, err := w.B.Engine.GetMail(ctx, w.B.Tenant.ID, fnB, mid)
	if err != nil {
		t.Fatal(err)
	}
	// The messagePayload element arrives byte for byte; its XML declaration cannot travel
	// inside the XHE's PayloadContent.
	decl := []byte(`<?xml version="1.0" encoding="UTF-8"?>`)
	if !bytes.HasPrefix(msg, decl) || !bytes.Equal(m.Body, bytes.TrimPrefix(msg, decl)) {
		t.Fatal("delivered SDK message differs from the submitted one")
	}
	got, err := sdkmsg.Parse(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	if f := got.Documents[0].Files[0]; !bytes.Equal(f.Content, enginetest.PDF) || f.ContentType != "application/pdf" {
		t.Fatal("pdf attachment differs")
	}
	if m.Sender != partA || m.Recipient != partB || !m.Confidential || m.Label != "Ansökan om bygglov" || m.Sealed {
		t.Fatalf("mail %+v", m)
	}
	if !m.ReadAt.IsZero() {
		t.Fatal("unread mail has a read time")
	}
	w.Clock.Advance(time.Minute)
	r, err := w.B.Engine.MarkRead(ctx, w.B.Tenant.ID, fnB, mid)
	if err != nil || !r.ReadAt.Equal(e0.Add(time.Minute)) {
		t.Fatalf("mark read: %v %v", r, err)
	}
	// B's kvittens is in B's outbox as a receipt, finished by the AS4 receipt, and A
	// did not answer it.
	k, err := w.B.Engine.Outbound(ctx, w.B.Tenant.ID, "kvittens-"+mid)
	if err != nil || k.Kind != msh.KindReceipt || k.State != msh.StateAccepted || k.RefToMessageID != mid {
		t.Fatalf("kvittens outbound %+v %v", k, err)
	}
	if _, err := w.A.Engine.Outbound(ctx, w.A.Tenant.ID, "kvittens-kvittens-"+mid); !errors.Is(err, msh.ErrNotFound) {
		t.Fatalf("a kvittens was answered: %v", err)
	}
	if n := w.Net.Posts(w.A.URL); n != 1 {
		t.Fatalf("%d posts to A, want the one kvittens", n)
	}
	if len(w.Mail(fnB)) != 1 {
		t.Fatal("mail count")
	}
}

func TestEngineUnknownFunctionAddress(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	mid := id(2)
	submit(t, w, mid, "okand-funktion")
	w.MustPump()
	o := w.WantState(mid, msh.StateRejected)
	if o.Reason != "BV" || o.Detail != "not-found" {
		t.Fatalf("reason %q detail %q", o.Reason, o.Detail)
	}
	if len(w.Mail("okand-funktion")) != 0 || len(w.Mail(fnB)) != 0 {
		t.Fatal("rejected message delivered")
	}
}

func TestEngineWrongO2OSigner(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	// A seals with another organisation's key than CertPub publishes for A.
	other, err := w.PKI.CA("o2o-ca").Issue("org-x", demopki.Options{Bits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	w.A.Tenant.O2OKey, w.A.Tenant.O2ODecrypter, w.A.Tenant.O2OCert = other.Key, enginetest.Decrypter(t, other.Key), other.Cert
	w.Start(w.A)
	mid := id(3)
	submit(t, w, mid, fnB)
	w.MustPump()
	o := w.WantState(mid, msh.StateRejected)
	if o.Reason != "SIG" || o.Detail != "security" {
		t.Fatalf("reason %q detail %q", o.Reason, o.Detail)
	}
	if len(w.Mail(fnB)) != 0 {
		t.Fatal("message with a wrong signer delivered")
	}
}

func TestEngineSenderNotInSMP(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	mid := id(7)
	submit(t, w, mid, fnB)
	delete(w.Dir.Entries, strings.ToLower(partA)) // A vanishes from SMP after sending
	w.MustPump()
	w.WantState(mid, msh.StateWaitingForReceipt)
	if len(w.Mail(fnB)) != 0 || w.Net.Posts(w.A.URL) != 0 {
		t.Fatal("delivered, or a kvittens sent, for a sender not in SMP (spec-facts §d)")
	}
}

func TestEngineRetriesThenExchangeError(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	w.Net.SetDown(w.B.URL, true)
	mid := id(4)
	submit(t, w, mid, fnB)
	w.MustPump()
	o := w.WantState(mid, msh.StateScheduledForResend)
	if o.Attempts != 1 || !o.NextAttempt.Equal(e0.Add(3*time.Minute)) || o.Reason != "EBMS:0005" {
		t.Fatalf("after first attempt %+v", o)
	}
	// "12;4;CONSTANT": retries 3, 6, 9 and 12 minutes after the first send.
	for i := 1; i <= 4; i++ {
		w.Clock.Advance(3*time.Minute - time.Second)
		w.MustPump()
		if got := w.Outbound(mid).Attempts; got != i {
			t.Fatalf("attempt %d ran early (attempts %d)", i+1, got)
		}
		w.Clock.Advance(time.Second)
		w.MustPump()
		if got := w.Outbound(mid).Attempts; got != i+1 {
			t.Fatalf("retry %d: attempts %d", i, got)
		}
	}
	o = w.WantState(mid, msh.StateMessageExchangeError)
	if o.Reason != "EBMS:0301" {
		t.Fatalf("reason %q", o.Reason)
	}
	if n := w.Net.Posts(w.B.URL); n != 5 {
		t.Fatalf("%d posts, want 5", n)
	}
	// B back later: nothing more is sent.
	w.Net.SetDown(w.B.URL, false)
	w.Clock.Advance(time.Hour)
	w.MustPump()
	w.WantState(mid, msh.StateMessageExchangeError)
	if n := w.Net.Posts(w.B.URL); n != 5 {
		t.Fatalf("%d posts after the last retry", n)
	}
}

func TestEngineRecoversWithinRetryWindow(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	w.Net.SetDown(w.B.URL, true)
	mid := id(5)
	submit(t, w, mid, fnB)
	w.MustPump()
	w.Clock.Advance(3 * time.Minute)
	w.MustPump()
	w.WantState(mid, msh.StateScheduledForResend)
	w.Net.SetDown(w.B.URL, false)
	w.Clock.Advance(3 * time.Minute)
	w.MustPump()
	o := w.WantState(mid, msh.StateAccepted)
	if o.Attempts != 3 {
		t.Fatalf("attempts %d", o.Attempts)
	}
	if len(w.Mail(fnB)) != 1 {
		t.Fatal("not delivered")
	}
}

func TestEngineDuplicateAS4Message(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	mid := id(6)
	submit(t, w, mid, fnB)
	w.MustPump()
	w.WantState(mid, msh.StateAccepted)
	p := w.Net.Last(w.B.URL) // A's message (B's kvittens went to A's URL)
	var receipts [][]byte
	for range 2 {
		r, err := w.B.Engine.Receive(context.Background(), w.B.Tenant.ID, p.ContentType, bytes.NewReader(p.Body))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 200 || !bytes.Contains(r.Body, []byte("Receipt")) || bytes.Contains(r.Body, []byte("errorCode")) {
			t.Fatalf("duplicate answered %d %s", r.Status, r.Body)
		}
		receipts = append(receipts, r.Body)
	}
	if !bytes.Equal(receipts[0], receipts[1]) {
		t.Fatal("two different receipts for the same bytes")
	}
	w.MustPump()
	if len(w.Mail(fnB)) != 1 {
		t.Fatal("duplicate delivered")
	}
	if n := w.Net.Posts(w.A.URL); n != 1 {
		t.Fatalf("%d kvittens posts, want 1", n)
	}
}

func TestEngineReceiveRefusesGarbage(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	r, err := w.B.Engine.Receive(context.Background(), w.B.Tenant.ID, "application/soap+xml", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(r.Body, []byte("SignalMessage")) || !bytes.Contains(r.Body, []byte(`errorCode="EBMS:`)) || !bytes.Contains(r.Body, []byte("SignatureValue")) {
		t.Fatalf("want a signed error signal, got %s", r.Body)
	}
	if _, err := w.B.Engine.Receive(context.Background(), "nobody", "x", strings.NewReader("")); !errors.Is(err, msh.ErrUnknownTenant) {
		t.Fatalf("unknown tenant: %v", err)
	}
}

func TestEngineSubmitErrors(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	ctx := context.Background()
	sub := func(m []byte) error {
		_, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{Message: m})
		return err
	}
	if err := sub(enginetest.SDKMessage(t, id(901), partA, "0203:nowhere.se", fnB)); !errors.Is(err, msh.ErrRecipientNotFound) {
		t.Fatalf("unknown recipient: %v", err)
	}
	if err := sub(enginetest.SDKMessage(t, id(902), partB, partA, "kansli")); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("foreign sender: %v", err)
	}
	if err := sub([]byte("<not sdk/>")); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{}); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := w.A.Engine.Submit(ctx, "nobody", msh.Submission{}); !errors.Is(err, msh.ErrUnknownTenant) {
		t.Fatalf("unknown tenant: %v", err)
	}
}

func TestEngineRecipientCertificateExpired(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	old, err := w.PKI.CA("o2o-ca").Issue("org-b-expired", demopki.Options{Bits: 2048, NotBefore: e0.Add(-48 * time.Hour), NotAfter: e0.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w.Dir.Entries[strings.ToLower(partB)].O2O[0].Cert = old.Cert
	submit(t, w, id(70), fnB)
	w.MustPump()
	if o := w.WantState(id(70), msh.StateError); o.Reason != "recipient-certificate-invalid" {
		t.Fatalf("reason %q", o.Reason)
	}
	if w.Net.Posts(w.B.URL) != 0 || len(w.Mail(fnB)) != 0 {
		t.Fatal("sent to a recipient whose O2O certificate expired")
	}
}

// A signed ebMS error signal in the response ends the exchange at once with its code.
func TestEngineErrorSignalIsExchangeError(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	w.B.Tenant.APPartyID = "AP9999-NOT-IN-SMP" // B refuses To/PartyId = its certificate's CN
	w.Start(w.B)
	submit(t, w, id(80), fnB)
	w.MustPump()
	o := w.WantState(id(80), msh.StateMessageExchangeError)
	if o.Reason != "EBMS:0010" || o.Attempts != 1 || w.Net.Posts(w.B.URL) != 1 {
		t.Fatalf("outbound %+v", o)
	}
	if len(w.Mail(fnB)) != 0 {
		t.Fatal("refused message delivered")
	}
}
