package local_test

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
	"github.com/brevduva/brevduva/infra/local"
)

// openDB opens a bbolt file in a fresh directory and returns a reopen function that closes
// the current handle and opens the same file again.
func openDB(t *testing.T) (db *bolt.DB, reopen func(t *testing.T) *bolt.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "brevduva.db")
	cur, err := local.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cur.Close() })
	return cur, func(t *testing.T) *bolt.DB {
		t.Helper()
		if err := cur.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		next, err := local.OpenDB(path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		cur = next
		return next
	}
}

func boltOpener[P any](mk func(db *bolt.DB, env mshtest.Env) P) mshtest.Opener[P] {
	return func(t *testing.T, env mshtest.Env) mshtest.Instance[P] {
		db, reopen := openDB(t)
		return mshtest.Instance[P]{
			Port:   mk(db, env),
			Reopen: func(t *testing.T) P { return mk(reopen(t), env) },
		}
	}
}

func TestContracts(t *testing.T) {
	mshtest.All{
		InboundStore: boltOpener(func(db *bolt.DB, _ mshtest.Env) msh.InboundStore { return local.NewMessages(db) }),
		OutboxStore:  boltOpener(func(db *bolt.DB, _ mshtest.Env) msh.OutboxStore { return local.NewMessages(db) }),
		DuplicateGuard: boltOpener(func(db *bolt.DB, env mshtest.Env) msh.DuplicateGuard {
			return local.NewGuard(db, env.Clock)
		}),
		OutboundQueue: boltOpener(func(db *bolt.DB, env mshtest.Env) msh.OutboundQueue {
			return local.NewQueue(db, env.Clock, env.MaxAttempts)
		}),
		Mailbox: boltOpener(func(db *bolt.DB, _ mshtest.Env) msh.Mailbox { return local.NewMailbox(db) }),
		PayloadStore: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.PayloadStore] {
			dir := t.TempDir()
			mk := func(t *testing.T) msh.PayloadStore {
				f, err := local.NewFiles(dir)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
			return mshtest.Instance[msh.PayloadStore]{Port: mk(t), Reopen: mk}
		},
	}.Run(t)
}
