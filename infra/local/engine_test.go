package local_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/infra/local"
)

// localAP keeps one AP's bbolt file and payload directory so that it can be reopened.
type localAP struct {
	dir string
	db  *bolt.DB
}

func (l *localAP) open(t *testing.T, clock msh.Clock) enginetest.Ports {
	t.Helper()
	db, err := local.OpenDB(filepath.Join(l.dir, "brevduva.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := local.NewFiles(filepath.Join(l.dir, "payloads"))
	if err != nil {
		t.Fatal(err)
	}
	l.db = db
	return enginetest.Ports{
		Store: local.NewMessages(db), Payloads: files, Guard: local.NewGuard(db, clock),
		Queue: local.NewQueue(db, clock, 1000), Mailbox: local.NewMailbox(db),
	}
}

// restart closes an AP's database and starts a new engine on the reopened files.
func (l *localAP) restart(t *testing.T, w *enginetest.World, a *enginetest.AP) {
	t.Helper()
	if err := l.db.Close(); err != nil {
		t.Fatal(err)
	}
	a.Ports = l.open(t, w.Clock)
	w.Start(a)
}

// The engine end to end on the embedded adapters, with restarts between the steps.
func TestEngineOnLocalAdapters(t *testing.T) {
	aps := map[string]*localAP{"a": {dir: t.TempDir()}, "b": {dir: t.TempDir()}}
	w := enginetest.NewWorld(t, func(name string, clock msh.Clock) enginetest.Ports { return aps[name].open(t, clock) })
	ctx := context.Background()
	ids := []string{enginetest.ID(1), enginetest.ID(2)}
	if _, err := w.Submit(ids[0], enginetest.FnB); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Submit(ids[1], "okand"); err != nil {
		t.Fatal(err)
	}
	aps["a"].restart(t, w, w.A) // the queued work survives
	w.MustPump()
	aps["a"].restart(t, w, w.A)
	aps["b"].restart(t, w, w.B)
	w.WantState(ids[0], msh.StateAccepted)
	if o := w.WantState(ids[1], msh.StateRejected); o.Reason != "BV" || o.Detail != "not-found" {
		t.Fatalf("rejection %q %q", o.Reason, o.Detail)
	}
	m, err := w.B.Engine.GetMail(ctx, w.B.Tenant.ID, enginetest.FnB, ids[0])
	if err != nil || len(m.Body) < len(enginetest.PDF) {
		t.Fatalf("mail after restart: %v", err)
	}

	// ListOutbound pages through A's messages (not B's kvittens), DeleteOutbound removes
	// a finished one.
	var got []string
	cur := ""
	for {
		l, err := w.A.Engine.ListOutbound(ctx, w.A.Tenant.ID, msh.OutboundFilter{Cursor: cur, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range l.Items {
			got = append(got, o.MessageID+" "+string(o.State))
		}
		if cur = l.Next; cur == "" {
			break
		}
	}
	if len(got) != 2 || got[0] != ids[0]+" ACCEPTED" || got[1] != ids[1]+" REJECTED" {
		t.Fatalf("list %v", got)
	}
	l, err := w.A.Engine.ListOutbound(ctx, w.A.Tenant.ID, msh.OutboundFilter{State: msh.StateRejected})
	if err != nil || len(l.Items) != 1 || l.Items[0].MessageID != ids[1] {
		t.Fatalf("filter by state: %+v %v", l, err)
	}
	if err := w.A.Engine.DeleteOutbound(ctx, w.A.Tenant.ID, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.A.Engine.Outbound(ctx, w.A.Tenant.ID, ids[1]); !errors.Is(err, msh.ErrNotFound) {
		t.Fatalf("deleted message: %v", err)
	}
}
