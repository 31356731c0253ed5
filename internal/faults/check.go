package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/infra/local"
)

// Report is what Check found in the stores after a run.
type Report struct {
	Messages   int               // submitted
	States     map[msh.State]int // final outbox state at A
	Lost       int               // to be accepted, but not in B's mailbox
	Duplicated int               // in B's mailbox more than once
	Problems   []string          // every violated invariant, one line each
}

// OK reports whether the checker found no problem.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// stores are the embedded adapters of one data folder, opened by the checker.
type stores struct {
	msgs  *local.Messages
	mail  *local.Mailbox
	files *local.Files
	queue *local.Queue
}

// Check opens the data folder of a finished run (no process may hold it) and checks the
// n messages of the scenario:
//   - A's outbox entry is ACCEPTED (REJECTED for a message to NoBox), once in its history
//     and never the other (transient faults must not change an outcome; any other final
//     state is counted and reported as a problem);
//   - B stored the AS4 message it accepted (inbound record), and its mailbox holds it
//     exactly once (a rejected one never), with the content that was submitted; the
//     mailbox holds nothing else;
//   - B's Meddelandekvittens is in B's outbox once, ACCEPTED once, and stored at A;
//   - neither tenant has dead letters.
func Check(ctx context.Context, dataDir string, n int) (Report, error) {
	db, err := local.OpenDB(filepath.Join(dataDir, "brevduva.db"))
	if err != nil {
		return Report{}, fmt.Errorf("faults: check: %w", err)
	}
	defer db.Close()
	files, err := local.NewFiles(filepath.Join(dataDir, "payloads"))
	if err != nil {
		return Report{}, fmt.Errorf("faults: check: %w", err)
	}
	far := msh.ClockFunc(func() time.Time { return time.Now().Add(time.Hour) })
	s := stores{local.NewMessages(db), local.NewMailbox(db), files, local.NewQueue(db, far, 1)}
	r := Report{Messages: n, States: map[msh.State]int{}}
	bad := func(f string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(f, a...)) }
	box, err := s.mailbox(ctx, TenantB, Box)
	if err != nil {
		return r, err
	}
	nobox, err := s.mailbox(ctx, TenantB, NoBox)
	if err != nil {
		return r, err
	}
	for id := range nobox {
		bad("%s: in a mailbox B does not have", id)
	}
	for i := range n {
		if err := s.checkMessage(ctx, &r, bad, i, box[MessageID(i)]); err != nil {
			return r, err
		}
		delete(box, MessageID(i))
	}
	for id, c := range box {
		bad("B's mailbox holds %s (%d times), which nobody submitted", id, c)
	}
	if err := s.checkOutboxB(ctx, bad, n); err != nil {
		return r, err
	}
	for _, t := range []string{TenantA, TenantB} {
		p, err := s.queue.ListDead(ctx, msh.DeadLetterRequest{Tenant: t})
		if err != nil {
			return r, fmt.Errorf("faults: check: dead letters: %w", err)
		}
		for _, d := range p.Items {
			bad("%s: dead letter %s", t, d.Item.ID)
		}
	}
	return r, nil
}

func (s stores) checkMessage(ctx context.Context, r *Report, bad func(string, ...any), i, inBox int) error {
	id := MessageID(i)
	out, err := s.msgs.GetOutbound(ctx, msh.MessageKey{Tenant: TenantA, MessageID: id})
	if errors.Is(err, msh.ErrNotFound) {
		bad("%s: submitted, but not in A's outbox", id)
		r.Lost++
		return nil
	}
	if err != nil {
		return fmt.Errorf("faults: check %s: %w", id, err)
	}
	r.States[out.State]++
	want, other := msh.StateAccepted, msh.StateRejected
	if Rejected(i) {
		want, other = other, want
	}
	if out.State != want {
		bad("%s: %s (reason %q), want %s", id, out.State, out.Reason, want)
	}
	if k := count(out.History, want); k > 1 {
		bad("%s: %s %d times in A's history", id, want, k)
	}
	if k := count(out.History, other); k > 0 {
		bad("%s: %s on the way in A's history", id, other)
	}
	if _, err := s.msgs.GetInbound(ctx, msh.MessageKey{Tenant: TenantB, MessageID: id}); err != nil {
		bad("%s: not stored at B: %v", id, err)
	}
	switch {
	case Rejected(i) && inBox > 0:
		bad("%s: rejected, yet in B's mailbox", id)
	case Rejected(i):
	case inBox == 0:
		bad("%s: not in B's mailbox (lost)", id)
		r.Lost++
	case inBox > 1:
		bad("%s: in B's mailbox %d times (duplicated)", id, inBox)
		r.Duplicated++
	}
	if inBox > 0 && !Rejected(i) {
		if err := s.checkBody(ctx, bad, i); err != nil {
			return err
		}
	}
	kid := kvittensPrefix + id
	if _, err := s.msgs.GetInbound(ctx, msh.MessageKey{Tenant: TenantA, MessageID: kid}); err != nil {
		bad("%s: its kvittens is not stored at A: %v", id, err)
	}
	k, err := s.msgs.GetOutbound(ctx, msh.MessageKey{Tenant: TenantB, MessageID: kid})
	switch {
	case err != nil:
		bad("%s: no kvittens in B's outbox: %v", id, err)
	case k.State != msh.StateAccepted || count(k.History, msh.StateAccepted) != 1:
		bad("%s: B's kvittens %s, ACCEPTED %d times", id, k.State, count(k.History, msh.StateAccepted))
	}
	return nil
}

// checkBody compares the delivered SDK message with what was submitted.
func (s stores) checkBody(ctx context.Context, bad func(string, ...any), i int) error {
	id := MessageID(i)
	m, err := s.mail.GetMail(ctx, msh.MailKey{Tenant: TenantB, Address: Box, MessageID: id})
	if err != nil {
		return fmt.Errorf("faults: check %s: %w", id, err)
	}
	if len(m.PayloadNames) != 1 {
		bad("%s: mail item with %d payloads", id, len(m.PayloadNames))
		return nil
	}
	rc, _, err := s.files.OpenPayload(ctx, msh.PayloadKey{Tenant: TenantB, Name: m.PayloadNames[0]})
	if err != nil {
		bad("%s: delivered body unreadable: %v", id, err)
		return nil
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("faults: check %s: %w", id, err)
	}
	want, err := SDKMessage(i)
	if err != nil {
		return err
	}
	// The sealer serialises the message element (no XML declaration): compare content.
	wm, err := sdkmsg.Parse(want)
	if err != nil {
		return fmt.Errorf("faults: check %s: %w", id, err)
	}
	gm, err := sdkmsg.Parse(got)
	if err != nil || !reflect.DeepEqual(gm, wm) {
		bad("%s: delivered body (%d bytes) is not the submitted message (parse: %v)", id, len(got), err)
	}
	return nil
}

// checkOutboxB: B sent nothing but one kvittens per message.
func (s stores) checkOutboxB(ctx context.Context, bad func(string, ...any), n int) error {
	count := 0
	for cur := ""; ; {
		p, err := s.msgs.ListOutbound(ctx, msh.ListOutboundRequest{Tenant: TenantB, Cursor: cur, Limit: msh.MaxListLimit})
		if err != nil {
			return fmt.Errorf("faults: check: B's outbox: %w", err)
		}
		count += len(p.Items)
		if cur = p.Next; cur == "" {
			break
		}
	}
	if count != n {
		bad("B's outbox holds %d entries, want one kvittens per message (%d)", count, n)
	}
	return nil
}

// mailbox counts the message ids of a whole mailbox, page by page.
func (s stores) mailbox(ctx context.Context, tenant, address string) (map[string]int, error) {
	out := map[string]int{}
	for cur := ""; ; {
		p, err := s.mail.ListMail(ctx, msh.ListMailRequest{Tenant: tenant, Address: address, Cursor: cur, Limit: msh.MaxListLimit})
		if err != nil {
			return nil, fmt.Errorf("faults: check: mailbox %s/%s: %w", tenant, address, err)
		}
		for _, m := range p.Items {
			out[m.MessageID]++
		}
		if cur = p.Next; cur == "" {
			return out, nil
		}
	}
}

// count is how often a history entered state st.
func count(h []msh.Event, st msh.State) int {
	k := 0
	for _, e := range h {
		if e.State == st {
			k++
		}
	}
	return k
}
