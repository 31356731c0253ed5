package audit

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Filter selects entries for Search. Empty fields match everything.
type Filter struct {
	// MessageID matches the SDK messageId, the AS4 MessageId or the RefToMessageId.
	MessageID      string
	ConversationID string
	// Party matches a participant, a function address or an AP PartyId (either side),
	// compared case-insensitively (⚠U spec-facts §k 21).
	Party string
	// From and To bound At: From ≤ At < To (zero: unbounded).
	From, To time.Time
	// After is a cursor: only entries with Seq > After (Page.Next of the previous page).
	After uint64
	// Limit caps the entries returned (0: DefaultSearchLimit; at most MaxSearchLimit).
	Limit int
}

// Search limits. A search scans at most maxSearchScan entries per call and then returns a
// Next cursor, so that one call's work stays bounded on a long chain.
const (
	DefaultSearchLimit = 100
	MaxSearchLimit     = 1000
	maxSearchScan      = 20 * MaxScan
)

// Page is one page of a search: matching entries in Seq order, and the cursor of the next
// page (0: the chain was searched to its head).
type Page struct {
	Entries []Entry
	Next    uint64
}

// Match reports whether e passes f (the cursor and limit aside).
func (f Filter) Match(e Entry) bool {
	switch {
	case f.MessageID != "" && f.MessageID != e.MessageID && f.MessageID != e.AS4MessageID && f.MessageID != e.RefToMessageID:
		return false
	case f.ConversationID != "" && f.ConversationID != e.ConversationID:
		return false
	case !f.From.IsZero() && e.At.Before(f.From), !f.To.IsZero() && !e.At.Before(f.To):
		return false
	}
	return f.Party == "" || anyFold(f.Party, e.Sender, e.SenderFunction, e.Recipient, e.RecipientFunction, e.FromAP, e.ToAP)
}

func anyFold(want string, have ...string) bool {
	for _, h := range have {
		if strings.EqualFold(want, h) {
			return true
		}
	}
	return false
}

// Search returns tenant's entries that match f, in Seq order. An entry that does not decode
// is an error (run Verify).
func (l *Log) Search(ctx context.Context, tenant string, f Filter) (Page, error) {
	limit := f.Limit
	if limit == 0 {
		limit = DefaultSearchLimit
	}
	if limit < 0 || limit > MaxSearchLimit {
		return Page{}, fmt.Errorf("audit: search limit %d not in 0..%d: %w", f.Limit, MaxSearchLimit, ErrInvalid)
	}
	p := Page{Entries: []Entry{}}
	from := f.After + 1
	for scanned := 0; scanned < maxSearchScan; {
		recs, err := l.o.Store.Scan(ctx, tenant, from, MaxScan)
		if err != nil {
			return Page{}, fmt.Errorf("audit: search %s: %w", tenant, err)
		}
		for _, r := range recs {
			e, err := Decode(r.Data)
			if err != nil {
				return Page{}, fmt.Errorf("audit: search %s #%d: %w", tenant, r.Seq, err)
			}
			if f.Match(e) {
				p.Entries = append(p.Entries, e)
			}
			from, scanned = r.Seq+1, scanned+1
			if len(p.Entries) == limit {
				return Page{Entries: p.Entries, Next: r.Seq}, nil
			}
		}
		if len(recs) < MaxScan {
			return p, nil
		}
	}
	p.Next = from - 1
	return p, nil
}
