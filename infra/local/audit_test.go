package local_test

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/audit/audittest"
	"github.com/brevduva/brevduva/infra/local"
)

// boltTamper writes the audit buckets directly, around AuditStore's conditions.
type boltTamper struct{ db *bolt.DB }

func (b boltTamper) entries(tx *bolt.Tx, tenant string) (*bolt.Bucket, error) {
	a, err := tx.CreateBucketIfNotExists([]byte("audit"))
	if err != nil {
		return nil, err
	}
	t, err := a.CreateBucketIfNotExists([]byte(tenant))
	if err != nil {
		return nil, err
	}
	return t.CreateBucketIfNotExists([]byte("entries"))
}

func (b boltTamper) Overwrite(tenant string, seq uint64, data []byte) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		e, err := b.entries(tx, tenant)
		if err != nil {
			return err
		}
		return e.Put(binary.BigEndian.AppendUint64(nil, seq), data)
	})
}

func (b boltTamper) Remove(tenant string, seq uint64) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		e, err := b.entries(tx, tenant)
		if err != nil {
			return err
		}
		return e.Delete(binary.BigEndian.AppendUint64(nil, seq))
	})
}

func (b boltTamper) ForceCheckpoint(tenant string, c audit.Checkpoint) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		t := tx.Bucket([]byte("audit")).Bucket([]byte(tenant))
		v := binary.BigEndian.AppendUint64(nil, c.Seq)
		v = append(v, c.Hash[:]...)
		return t.Put([]byte("checkpoint"), binary.BigEndian.AppendUint64(v, uint64(c.At.UnixNano())))
	})
}

func openAuditDB(t testing.TB) *bolt.DB {
	t.Helper()
	db, err := local.OpenDB(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAuditStore(t *testing.T) {
	audittest.Run(t, func(t *testing.T) (audit.Store, audittest.Tamper) {
		db := openAuditDB(t)
		return local.NewAuditStore(db), boltTamper{db}
	})
}
