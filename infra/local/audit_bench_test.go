package local_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/audit/audittest"
	"github.com/brevduva/brevduva/infra/local"
)

// Audit append against its baseline: a plain bbolt put of a record of the same size in
// its own fsynced transaction. An append is two transactions (read the head, put if the
// sequence number is free) plus the encoding and one SHA-256.

func BenchmarkAuditBaselineBoltPut(b *testing.B) {
	db := openAuditDB(b)
	e := audit.Entry{Event: audittest.Event("t1", 1), Seq: 1}
	rec, err := audit.Encode(&e)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("baseline"))
			if err != nil {
				return err
			}
			return bk.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), rec)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuditAppend(b *testing.B) {
	l, _ := audittest.NewLog(b, local.NewAuditStore(openAuditDB(b)))
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := l.Append(ctx, audittest.Event("t1", i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditVerify verifies a chain of 10,000 entries; ns/entry is the figure.
func BenchmarkAuditVerify(b *testing.B) {
	const n = 10_000
	db := openAuditDB(b)
	s := local.NewAuditStore(db)
	ctx := context.Background()
	err := db.Update(func(tx *bolt.Tx) error { // one transaction: n fsynced appends take seconds
		bk, err := boltTamper{db}.entries(tx, "t1")
		var prev [32]byte
		for i := 1; i <= n && err == nil; i++ {
			e := audit.Entry{Event: audittest.Event("t1", i), Seq: uint64(i), Prev: prev}
			e.At = audittest.T0
			var rec []byte
			if rec, err = audit.Encode(&e); err == nil {
				err = bk.Put(binary.BigEndian.AppendUint64(nil, e.Seq), rec)
			}
			prev = e.Hash
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	l, _ := audittest.NewLog(b, s)
	for b.Loop() {
		rep, err := l.Verify(ctx, "t1")
		if err != nil || rep.Entries != n {
			b.Fatal(fmt.Sprint(rep, err))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
}
