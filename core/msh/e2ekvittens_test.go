package msh_test

import (
	"context"
	"errors"
	"testing"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/o2o"
)

// e2eWorld is the enginetest world with both tenants in end-to-end mode, and A's message
// mid sealed by A's browser and delivered (still sealed) to B's mailbox fnB.
func e2eWorld(t *testing.T, mid string) *enginetest.World {
	t.Helper()
	w := enginetest.NewWorld(t, nil)
	for _, a := range []*enginetest.AP{w.A, w.B} {
		a.Tenant.O2OKey, a.Tenant.O2ODecrypter = nil, nil // the certificate stays: it is public
		w.Start(a)
	}
	orgA, orgB := w.PKI.Leaf("org-a"), w.PKI.Leaf("org-b")
	browser := &o2o.Sealer{Key: orgA.Key, Cert: orgA.Cert, Profile: o2o.DIGGProfile(), Now: w.Clock.Now}
	x, err := browser.Seal(enginetest.SDKMessage(t, mid, partA, partB, fnB), orgB.Cert, fnB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.A.Engine.Submit(context.Background(), w.A.Tenant.ID, msh.Submission{XHE: x}); err != nil {
		t.Fatal(err)
	}
	return w
}

// clientKvittens is what B's browser seals: the receipt (id "kvittens-"+documentID, from
// → to as given) signed with the key of leaf, routed to fn.
func clientKvittens(t *testing.T, w *enginetest.World, leaf, documentID, from, to, fn string, rej *kvittens.Rejection) []byte {
	t.Helper()
	org := w.PKI.Leaf(leaf)
	rc := kvittens.New("kvittens-"+documentID, w.Clock.Now(), documentID, to, from, rej)
	s := &o2o.Sealer{Key: org.Key, Cert: org.Cert, Profile: o2o.DIGGProfile(), Now: w.Clock.Now}
	x, err := s.SealReceipt(rc, fn)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestSubmitKvittensAccepted(t *testing.T) {
	mid := id(40)
	w := e2eWorld(t, mid)
	ctx := context.Background()
	x := clientKvittens(t, w, "org-b", mid, partB, partA, fnB, nil)
	if _, err := w.B.Engine.SubmitKvittens(ctx, w.B.Tenant.ID, fnB, mid, x); !errors.Is(err, msh.ErrNotFound) {
		t.Fatalf("kvittens before delivery: %v, want ErrNotFound", err)
	}
	w.MustPump()
	w.WantState(mid, msh.StateWaitingForReceipt)
	o, err := w.B.Engine.SubmitKvittens(ctx, w.B.Tenant.ID, fnB, mid, x)
	if err != nil {
		t.Fatal(err)
	}
	if o.MessageID != "kvittens-"+mid || o.Recipient != partA {
		t.Fatalf("queued kvittens %+v", o)
	}
	again, err := w.B.Engine.SubmitKvittens(ctx, w.B.Tenant.ID, fnB, mid, x)
	if err != nil || again.MessageID != o.MessageID {
		t.Fatalf("the same kvittens again: %+v %v", again, err)
	}
	w.MustPump()
	w.WantState(mid, msh.StateAccepted)
	if n := w.Net.Posts(w.A.URL); n != 1 {
		t.Fatalf("%d posts to A, want the one kvittens", n)
	}
	if _, err := w.B.Engine.SubmitKvittens(ctx, w.B.Tenant.ID, fnB, mid, x); err != nil {
		t.Fatalf("the same kvittens after sending: %v", err)
	}
	w.MustPump()
	if n := w.Net.Posts(w.A.URL); n != 1 {
		t.Fatalf("%d posts to A after a repeat, want 1", n)
	}
	w.Clock.Advance(1)
	other := clientKvittens(t, w, "org-b", mid, partB, partA, fnB, &kvittens.Rejection{Reason: kvittens.BV, Detail: kvittens.DetailInvariant})
	if _, err := w.B.Engine.SubmitKvittens(ctx, w.B.Tenant.ID, fnB, mid, other); !errors.Is(err, msh.ErrDuplicate) {
		t.Fatalf("another kvittens for the message: %v, want ErrDuplicate", err)
	}
}

func TestSubmitKvittensRejectedCode(t *testing.T) {
	mid := id(41)
	w := e2eWorld(t, mid)
	w.MustPump()
	x := clientKvittens(t, w, "org-b", mid, partB, partA, fnB, &kvittens.Rejection{Reason: kvittens.SIG, Detail: kvittens.DetailSecurity})
	if _, err := w.B.Engine.SubmitKvittens(context.Background(), w.B.Tenant.ID, fnB, mid, x); err != nil {
		t.Fatal(err)
	}
	w.MustPump()
	if o := w.WantState(mid, msh.StateRejected); o.Reason != string(kvittens.SIG) {
		t.Fatalf("reason %q, want SIG", o.Reason)
	}
}

func TestSubmitKvittensRefused(t *testing.T) {
	mid := id(42)
	w := e2eWorld(t, mid)
	w.MustPump()
	ctx := context.Background()
	for name, c := range map[string]struct {
		mid, address string
		x            []byte
		want         error
	}{
		"signed by another organisation": {mid, fnB, clientKvittens(t, w, "org-a", mid, partB, partA, fnB, nil), msh.ErrInvalid},
		"answers another message":        {mid, fnB, clientKvittens(t, w, "org-b", id(43), partB, partA, fnB, nil), msh.ErrInvalid},
		"for a message not delivered":    {id(43), fnB, clientKvittens(t, w, "org-b", id(43), partB, partA, fnB, nil), msh.ErrNotFound},
		"parties not swapped":            {mid, fnB, clientKvittens(t, w, "org-b", mid, partA, partB, fnB, nil), msh.ErrInvalid},
		"routed to another address":      {mid, fnB, clientKvittens(t, w, "org-b", mid, partB, partA, "ekonomi", nil), msh.ErrInvalid},
		"another mailbox":                {mid, "ekonomi", clientKvittens(t, w, "org-b", mid, partB, partA, fnB, nil), msh.ErrNotFound},
		"not an xhe":                     {mid, fnB, []byte("<x/>"), msh.ErrInvalid},
	} {
		if _, err := w.B.Engine.SubmitKvittens(ctx, w.B.Tenant.ID, c.address, c.mid, c.x); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if _, err := w.A.Engine.SubmitKvittens(ctx, w.A.Tenant.ID, fnB, mid, clientKvittens(t, w, "org-a", mid, partB, partA, fnB, nil)); !errors.Is(err, msh.ErrNotFound) {
		t.Errorf("the sender's tenant: %v, want ErrNotFound", err)
	}
	w.MustPump()
	w.WantState(mid, msh.StateWaitingForReceipt)
	if n := w.Net.Posts(w.A.URL); n != 0 {
		t.Fatalf("%d posts to A after refused kvittens", n)
	}
}

// A tenant whose engine holds the O2O key sends its own kvittens: a client's is refused.
func TestSubmitKvittensServerMode(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	mid := id(44)
	if _, err := w.Submit(mid, fnB); err != nil {
		t.Fatal(err)
	}
	w.MustPump()
	w.WantState(mid, msh.StateAccepted)
	x := clientKvittens(t, w, "org-b", mid, partB, partA, fnB, nil)
	if _, err := w.B.Engine.SubmitKvittens(context.Background(), w.B.Tenant.ID, fnB, mid, x); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("server mode: %v, want ErrInvalid", err)
	}
}
