package local_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
	"github.com/brevduva/brevduva/infra/local"
)

// Each operation is one fsynced bbolt transaction (or, for payloads, file + directory
// fsyncs), so these figures are mostly the disk's fsync latency.

func BenchmarkPutInbound(b *testing.B) {
	db, err := local.OpenDB(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := local.NewMessages(db)
	receipt := bytes.Repeat([]byte("r"), 4096)
	for i := 0; b.Loop(); i++ {
		m := msh.InboundMessage{MessageKey: msh.MessageKey{Tenant: "t1", MessageID: fmt.Sprint("m", i)}, Receipt: receipt}
		if err := s.PutInbound(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQueueRoundTrip(b *testing.B) {
	db, err := local.OpenDB(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	q := local.NewQueue(db, mshtest.NewClock(mshtest.T0), 5)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if err := q.Enqueue(ctx, msh.QueueItem{Tenant: "t1", ID: fmt.Sprint("j", i)}); err != nil {
			b.Fatal(err)
		}
		l, err := q.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		if err := q.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: l.Handle}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutPayload1MiB(b *testing.B) {
	f, err := local.NewFiles(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("p"), 1<<20)
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		k := msh.PayloadKey{Tenant: "t1", Name: fmt.Sprint("p", i)}
		if _, err := f.PutPayload(context.Background(), msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
