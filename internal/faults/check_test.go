package faults

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/infra/local"
)

// The checker finds what it exists to find: a message stuck before ACCEPTED and never
// delivered (lost), a mailbox item nobody submitted, mail in a box B does not have.
func TestCheckFindsProblems(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := local.OpenDB(filepath.Join(dir, "brevduva.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	if err := local.NewMessages(db).CreateOutbound(ctx, msh.NewOutbound(msh.MessageKey{Tenant: TenantA, MessageID: MessageID(0)}, msh.StateScheduled, now)); err != nil {
		t.Fatal(err)
	}
	stray := msh.MailItem{MailKey: msh.MailKey{Tenant: TenantB, Address: Box, MessageID: MessageID(7)}, DeliveredAt: now, PayloadNames: []string{"p"}}
	if err := local.NewMailbox(db).Deliver(ctx, stray); err != nil {
		t.Fatal(err)
	}
	stray.Address = NoBox
	if err := local.NewMailbox(db).Deliver(ctx, stray); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r, err := Check(ctx, dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(r.Problems, "\n")
	for _, want := range []string{"SCHEDULED", "want ACCEPTED", "not stored at B", "not in B's mailbox (lost)", "nobody submitted", "a mailbox B does not have", "no kvittens in B's outbox", "want one kvittens per message"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if r.OK() || r.Lost != 1 || r.States[msh.StateScheduled] != 1 {
		t.Fatalf("report %+v", r)
	}
}
