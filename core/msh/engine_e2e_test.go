package msh_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/o2o"
)

// End-to-end mode: neither tenant's engine holds an O2O key. The browser seals; the
// engines check the XHE signature against CertPub and the routing, and B's mailbox gets
// the XHE still encrypted. No kvittens is sent (the key that would sign it is the
// browser's), so A stays in WAITING_FOR_RECEIPT.
func TestEngineEndToEndMode(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	ctx := context.Background()
	for _, a := range []*enginetest.AP{w.A, w.B} {
		a.Tenant.O2OKey, a.Tenant.O2ODecrypter = nil, nil // the certificate stays: it is public
		w.Start(a)
	}
	orgA, orgB := w.PKI.Leaf("org-a"), w.PKI.Leaf("org-b")
	browser := &o2o.Sealer{Key: orgA.Key, Cert: orgA.Cert, Profile: o2o.DIGGProfile(), Now: w.Clock.Now}
	mid := id(20)
	x, err := browser.Seal(enginetest.SDKMessage(t, mid, partA, partB, fnB), orgB.Cert, fnB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{Message: enginetest.SDKMessage(t, id(21), partA, partB, fnB)}); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("plain message in end-to-end mode: %v", err)
	}
	// Signed with another organisation's key: refused at submission.
	forged := &o2o.Sealer{Key: orgB.Key, Cert: orgB.Cert, Profile: o2o.DIGGProfile(), Now: w.Clock.Now}
	fx, err := forged.Seal(enginetest.SDKMessage(t, id(22), partA, partB, fnB), orgB.Cert, fnB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{XHE: fx}); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("forged xhe: %v", err)
	}
	o, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{XHE: x})
	if err != nil {
		t.Fatal(err)
	}
	if o.MessageID != mid || o.FunctionAddress != fnB || o.Recipient != partB {
		t.Fatalf("outbound %+v", o)
	}
	w.MustPump()
	w.WantState(mid, msh.StateWaitingForReceipt)
	m, err := w.B.Engine.GetMail(ctx, w.B.Tenant.ID, fnB, mid)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Sealed || !bytes.Equal(m.Body, x) || m.Label != "" || m.Sender != partA {
		t.Fatalf("mail %+v", m)
	}
	if w.Net.Posts(w.A.URL) != 0 {
		t.Fatal("a kvittens was sent in end-to-end mode")
	}
	if err := w.A.Engine.DeleteOutbound(ctx, w.A.Tenant.ID, mid); !errors.Is(err, msh.ErrNotDeletable) {
		t.Fatalf("delete while waiting: %v", err)
	}
}

func TestEngineListAndDeleteOutbound(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	ctx := context.Background()
	submit(t, w, id(30), fnB)
	submit(t, w, id(31), "okand")
	submit(t, w, id(32), fnB)
	w.MustPump()
	l, err := w.A.Engine.ListOutbound(ctx, w.A.Tenant.ID, msh.OutboundFilter{Limit: 2})
	if err != nil || len(l.Items) != 2 || l.Next == "" || l.Items[0].MessageID != id(30) {
		t.Fatalf("page 1: %+v %v", l, err)
	}
	l, err = w.A.Engine.ListOutbound(ctx, w.A.Tenant.ID, msh.OutboundFilter{Cursor: l.Next, Limit: 2})
	if err != nil || len(l.Items) != 1 || l.Next != "" || l.Items[0].MessageID != id(32) {
		t.Fatalf("page 2: %+v %v", l, err)
	}
	l, err = w.A.Engine.ListOutbound(ctx, w.A.Tenant.ID, msh.OutboundFilter{State: msh.StateRejected})
	if err != nil || len(l.Items) != 1 || l.Items[0].MessageID != id(31) {
		t.Fatalf("rejected: %+v %v", l, err)
	}
	// B's outbox holds only kvittens: the API lists none of them.
	if l, err := w.B.Engine.ListOutbound(ctx, w.B.Tenant.ID, msh.OutboundFilter{}); err != nil || len(l.Items) != 0 {
		t.Fatalf("B lists %+v %v", l, err)
	}
	if err := w.A.Engine.DeleteOutbound(ctx, w.A.Tenant.ID, id(31)); err != nil {
		t.Fatal(err)
	}
	if err := w.A.Engine.DeleteOutbound(ctx, w.A.Tenant.ID, id(31)); !errors.Is(err, msh.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := w.A.Engine.ListOutbound(ctx, w.A.Tenant.ID, msh.OutboundFilter{Cursor: "zz"}); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("bad cursor: %v", err)
	}
}
