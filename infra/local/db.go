package local

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Top-level buckets, one per port.
var (
	bucketInbound = []byte("inbound")
	bucketOutbox  = []byte("outbox")
	bucketGuard   = []byte("guard")
	bucketQueue   = []byte("queue")
	bucketMailbox = []byte("mailbox")
)

// OpenDB opens (creating if needed) the bbolt file at path for the local adapters. It fails
// after a second if another process holds the file. The caller closes the DB.
func OpenDB(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketInbound, bucketOutbox, bucketGuard, bucketQueue, bucketMailbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("local: init %s: %w", path, err)
	}
	return db, nil
}

// bucket walks nested buckets for reading; nil if any is missing.
func bucket(tx *bolt.Tx, names ...[]byte) *bolt.Bucket {
	b := tx.Bucket(names[0])
	for _, n := range names[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket(n)
	}
	return b
}

// mkbucket walks nested buckets for writing, creating missing ones.
func mkbucket(tx *bolt.Tx, names ...[]byte) (*bolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists(names[0])
	for _, n := range names[1:] {
		if err != nil {
			return nil, err
		}
		b, err = b.CreateBucketIfNotExists(n)
	}
	return b, err
}

// Record values: magic "bd", format version, JSON.
const (
	recordMagic0, recordMagic1 = 'b', 'd'
	recordVersion              = 1
	maxRecordValue             = 1 << 20
)

var errCorrupt = errors.New("local: corrupt record")

func encodeRecord(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("local: encode record: %w", err)
	}
	return append([]byte{recordMagic0, recordMagic1, recordVersion}, j...), nil
}

// decodeRecord parses a stored value into v (a pointer to a record struct).
func decodeRecord(b []byte, v any) error {
	if len(b) < 3 || b[0] != recordMagic0 || b[1] != recordMagic1 {
		return fmt.Errorf("%w: bad magic", errCorrupt)
	}
	if b[2] != recordVersion {
		return fmt.Errorf("%w: format version %d", errCorrupt, b[2])
	}
	if len(b) > maxRecordValue {
		return fmt.Errorf("%w: %d bytes", errCorrupt, len(b))
	}
	if err := json.Unmarshal(b[3:], v); err != nil {
		return fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return nil
}

// timeKey is t as 8 bytes that sort like the times (zero time first).
func timeKey(t time.Time) []byte {
	var k [8]byte
	if !t.IsZero() {
		binary.BigEndian.PutUint64(k[:], uint64(t.UnixNano())^(1<<63))
	}
	return k[:]
}

func timeFromKey(k []byte) time.Time {
	u := binary.BigEndian.Uint64(k[:8])
	if u == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(u^(1<<63))).UTC()
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// compose returns a fresh prefix||suffix.
func compose(prefix []byte, suffix string) []byte {
	return append(append(make([]byte, 0, len(prefix)+len(suffix)), prefix...), suffix...)
}
