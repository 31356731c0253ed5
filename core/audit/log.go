package audit

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRetentionMonths is how long entries are kept when Options gives nothing: a vendor's
// "12 months searchable" (⚠U spec-facts §k 25; no SDK document fixes it).
const DefaultRetentionMonths = 12

// maxAppendRetries bounds Append's read-head-and-put loop under contention.
const maxAppendRetries = 64

// Options configures NewLog. Store and Now are required.
type Options struct {
	Store  Store
	Now    func() time.Time
	Logger *slog.Logger // nil: discard
	// AnchorEvery writes the head (sequence number and hash) to Logger at Info after every
	// AnchorEvery-th entry of a tenant, so that a copy of the head lives outside the store
	// (0: never).
	AnchorEvery uint64
	// AnchorKey, when set, gives a tenant's AP key: each anchor line then carries
	// SignAnchor's signature (base64), which VerifyAnchor checks with the AP certificate.
	AnchorKey func(tenant string) crypto.Signer
	// RetentionMonths is how long Prune keeps entries (0: DefaultRetentionMonths).
	RetentionMonths int
}

// Log appends to, verifies, searches and prunes the tenants' chains in a Store. It is safe
// for concurrent use, also with other Logs on the same Store (other processes, Lambdas).
type Log struct {
	o  Options
	mu sync.Mutex // spares this process's appenders the conflict round trip
}

// NewLog checks o and returns a Log.
func NewLog(o Options) (*Log, error) {
	if o.Store == nil || o.Now == nil {
		return nil, fmt.Errorf("audit: log: store and clock are required: %w", ErrInvalid)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RetentionMonths <= 0 {
		o.RetentionMonths = DefaultRetentionMonths
	}
	return &Log{o: o}, nil
}

// Record appends ev to its tenant's chain (the engine's audit port).
func (l *Log) Record(ctx context.Context, ev Event) error {
	_, err := l.Append(ctx, ev)
	return err
}

// Append adds ev (At = now when zero) after the tenant's head and returns the entry. A
// concurrent append that took the same sequence number makes it read the head again and
// retry, so the chain never forks.
func (l *Log) Append(ctx context.Context, ev Event) (Entry, error) {
	if ev.At.IsZero() {
		ev.At = l.o.Now()
	}
	ev.At = ev.At.UTC()
	if err := ev.Validate(); err != nil {
		return Entry{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for range maxAppendRetries {
		e := Entry{Event: ev}
		var err error
		if e.Seq, e.Prev, err = l.next(ctx, ev.Tenant); err != nil {
			return Entry{}, err
		}
		data, err := Encode(&e)
		if err != nil {
			return Entry{}, err
		}
		err = l.o.Store.Append(ctx, ev.Tenant, Record{Seq: e.Seq, Data: data})
		if errors.Is(err, ErrConflict) {
			if ctx.Err() != nil {
				return Entry{}, fmt.Errorf("audit: append: %w", ctx.Err())
			}
			continue
		}
		if err != nil {
			return Entry{}, fmt.Errorf("audit: append %s #%d: %w", ev.Tenant, e.Seq, err)
		}
		if l.o.AnchorEvery > 0 && e.Seq%l.o.AnchorEvery == 0 {
			l.logAnchor(ctx, ev.Tenant, Anchor{Seq: e.Seq, Hash: e.Hash})
		}
		return e, nil
	}
	return Entry{}, fmt.Errorf("audit: append %s: %d conflicts in a row: %w", ev.Tenant, maxAppendRetries, ErrConflict)
}

// logAnchor writes a tenant's head to the log, signed when AnchorKey gives a key.
func (l *Log) logAnchor(ctx context.Context, tenant string, a Anchor) {
	attrs := []any{"tenant", tenant, "anchor", a.String()}
	if l.o.AnchorKey != nil {
		if k := l.o.AnchorKey(tenant); k != nil {
			sig, err := SignAnchor(k, tenant, a)
			if err != nil {
				attrs = append(attrs, "signatureError", err.Error())
			} else {
				attrs = append(attrs, "signature", base64.StdEncoding.EncodeToString(sig))
			}
		}
	}
	l.o.Logger.InfoContext(ctx, "audit anchor", attrs...)
}

// next is the sequence number and previous hash of the tenant's next entry: after the
// head, else after the checkpoint, else 1 and zero.
func (l *Log) next(ctx context.Context, tenant string) (uint64, [32]byte, error) {
	r, err := l.o.Store.Last(ctx, tenant)
	if errors.Is(err, ErrEmpty) {
		cp, cerr := l.o.Store.Checkpoint(ctx, tenant)
		if errors.Is(cerr, ErrNotFound) {
			return 1, [32]byte{}, nil
		}
		if cerr != nil {
			return 0, [32]byte{}, fmt.Errorf("audit: checkpoint %s: %w", tenant, cerr)
		}
		return cp.Seq + 1, cp.Hash, nil
	}
	if err != nil {
		return 0, [32]byte{}, fmt.Errorf("audit: head %s: %w", tenant, err)
	}
	head, err := Decode(r.Data)
	if err != nil {
		return 0, [32]byte{}, fmt.Errorf("audit: head %s #%d: %w", tenant, r.Seq, err)
	}
	return r.Seq + 1, head.Hash, nil
}

// Anchor is a copy of an entry's hash kept outside the store (a log line, a signed note):
// Verify fails when the chain no longer holds that entry.
type Anchor struct {
	Seq  uint64
	Hash [32]byte
}

func (a Anchor) String() string { return formatAnchor(a.Seq, a.Hash) }

func formatAnchor(seq uint64, h [32]byte) string {
	return strconv.FormatUint(seq, 10) + ":" + HashHex(h)
}

// ParseAnchor parses "seq:hash" (Anchor.String, Checkpoint.String).
func ParseAnchor(s string) (Anchor, error) {
	seq, hash, ok := strings.Cut(s, ":")
	n, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil || n == 0 {
		return Anchor{}, fmt.Errorf("audit: anchor %q: want seq:hash: %w", s, ErrInvalid)
	}
	h, err := ParseHash(hash)
	if err != nil {
		return Anchor{}, err
	}
	return Anchor{Seq: n, Hash: h}, nil
}
