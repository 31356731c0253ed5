package mshtest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

func sampleMail(tenant, addr, id string) msh.MailItem {
	return msh.MailItem{
		MailKey:        msh.MailKey{Tenant: tenant, Address: addr, MessageID: id},
		ConversationID: "conv-" + id,
		Sender:         "0203:kommun-a.se",
		Recipient:      "0203:kommun-b.se",
		Label:          "Ansökan om bygglov " + id,
		DeliveredAt:    T0,
		PayloadNames:   []string{id + "/doc.pdf"},
		Meta:           map[string]string{"confidentiality": "NOT_CONFIDENTIAL"},
	}
}

func sameMail(a, b msh.MailItem) bool {
	if !a.DeliveredAt.Equal(b.DeliveredAt) || !a.ReadAt.Equal(b.ReadAt) {
		return false
	}
	a.DeliveredAt, b.DeliveredAt, a.ReadAt, b.ReadAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func listAll(t *testing.T, mb msh.Mailbox, tenant, addr string, limit int) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("ListMail does not terminate")
		}
		p, err := mb.ListMail(context.Background(), msh.ListMailRequest{Tenant: tenant, Address: addr, Cursor: cursor, Limit: limit})
		noErr(t, "ListMail", err)
		if len(p.Items) > max(limit, 0) && limit > 0 {
			t.Fatalf("ListMail returned %d items, limit %d", len(p.Items), limit)
		}
		for _, it := range p.Items {
			if it.Tenant != tenant || it.Address != addr {
				t.Fatalf("ListMail(%s, %s) returned %+v", tenant, addr, it.MailKey)
			}
			ids = append(ids, it.MessageID)
		}
		if p.Next == "" {
			return ids
		}
		cursor = p.Next
	}
}

// TestMailbox is the contract suite of msh.Mailbox.
func TestMailbox(t *testing.T, opener Opener[msh.Mailbox]) {
	ctx := context.Background()
	const addr = "urn:fdc:kommun-b.se:bygglov"

	t.Run("DeliverGet", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleMail("t1", addr, "m1")
		noErr(t, "Deliver", in.Port.Deliver(ctx, m))
		got, err := in.Port.GetMail(ctx, m.MailKey)
		noErr(t, "GetMail", err)
		if !sameMail(got, m) {
			t.Fatalf("GetMail = %+v, want %+v", got, m)
		}
		_, err = in.Port.GetMail(ctx, msh.MailKey{Tenant: "t1", Address: addr, MessageID: "missing"})
		isErr(t, "GetMail(missing)", err, msh.ErrNotFound)
	})

	t.Run("DeliverOnce", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleMail("t1", addr, "m1")
		noErr(t, "Deliver", in.Port.Deliver(ctx, m))
		again := sampleMail("t1", addr, "m1")
		again.Label = "changed"
		isErr(t, "Deliver(same id)", in.Port.Deliver(ctx, again), msh.ErrDuplicate)
		got, err := in.Port.GetMail(ctx, m.MailKey)
		noErr(t, "GetMail", err)
		if got.Label != m.Label {
			t.Fatalf("duplicate delivery changed the item: %q", got.Label)
		}
		if ids := listAll(t, in.Port, "t1", addr, 10); len(ids) != 1 {
			t.Fatalf("mailbox lists %v after a duplicate delivery", ids)
		}
	})

	t.Run("ConcurrentDeliverOnce", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range concurrency {
			wg.Go(func() {
				err := in.Port.Deliver(ctx, sampleMail("t1", addr, "race"))
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if !errorsIs(err, msh.ErrDuplicate) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent deliveries of one message succeeded, want 1", wins)
		}
		if ids := listAll(t, in.Port, "t1", addr, 10); len(ids) != 1 {
			t.Fatalf("mailbox lists %v", ids)
		}
	})

	t.Run("ListInDeliveryOrderWithPaging", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		var want []string
		for i := range 25 {
			// ids deliberately not in lexical order
			id := fmt.Sprintf("msg-%02d", (i*7)%25)
			m := sampleMail("t1", addr, id)
			m.DeliveredAt = clk.Now()
			clk.Advance(time.Second)
			noErr(t, "Deliver", in.Port.Deliver(ctx, m))
			want = append(want, id)
		}
		if got := listAll(t, in.Port, "t1", addr, 10); !reflect.DeepEqual(got, want) {
			t.Fatalf("ListMail pages = %v, want %v", got, want)
		}
		if got := listAll(t, in.Port, "t1", addr, 0); !reflect.DeepEqual(got, want) {
			t.Fatalf("ListMail default limit = %v, want %v", got, want)
		}
		// Items delivered between pages come later, never twice.
		p1, err := in.Port.ListMail(ctx, msh.ListMailRequest{Tenant: "t1", Address: addr, Limit: 20})
		noErr(t, "ListMail", err)
		noErr(t, "Deliver", in.Port.Deliver(ctx, sampleMail("t1", addr, "late")))
		p2, err := in.Port.ListMail(ctx, msh.ListMailRequest{Tenant: "t1", Address: addr, Cursor: p1.Next, Limit: 20})
		noErr(t, "ListMail", err)
		var got []string
		for _, it := range append(p1.Items, p2.Items...) {
			got = append(got, it.MessageID)
		}
		if !reflect.DeepEqual(got, append(want, "late")) || p2.Next != "" {
			t.Fatalf("pages around a new delivery = %v (next %q)", got, p2.Next)
		}
		p, err := in.Port.ListMail(ctx, msh.ListMailRequest{Tenant: "t1", Address: "urn:fdc:kommun-b.se:empty"})
		noErr(t, "ListMail(empty address)", err)
		if len(p.Items) != 0 || p.Next != "" {
			t.Fatalf("empty mailbox lists %+v", p)
		}
	})

	t.Run("MarkRead", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		m := sampleMail("t1", addr, "m1")
		noErr(t, "Deliver", in.Port.Deliver(ctx, m))
		clk.Advance(time.Hour)
		first := clk.Now()
		got, err := in.Port.MarkRead(ctx, msh.MarkReadRequest{MailKey: m.MailKey, At: first})
		noErr(t, "MarkRead", err)
		if !got.ReadAt.Equal(first) {
			t.Fatalf("MarkRead ReadAt = %v, want %v", got.ReadAt, first)
		}
		got, err = in.Port.MarkRead(ctx, msh.MarkReadRequest{MailKey: m.MailKey, At: first.Add(time.Hour)})
		noErr(t, "MarkRead again", err)
		if !got.ReadAt.Equal(first) {
			t.Fatalf("second MarkRead moved ReadAt to %v", got.ReadAt)
		}
		stored, err := in.Port.GetMail(ctx, m.MailKey)
		noErr(t, "GetMail", err)
		m.ReadAt = first
		if !sameMail(stored, m) {
			t.Fatalf("GetMail after MarkRead = %+v, want %+v", stored, m)
		}
		_, err = in.Port.MarkRead(ctx, msh.MarkReadRequest{MailKey: msh.MailKey{Tenant: "t1", Address: addr, MessageID: "missing"}, At: first})
		isErr(t, "MarkRead(missing)", err, msh.ErrNotFound)
		_, err = in.Port.MarkRead(ctx, msh.MarkReadRequest{MailKey: m.MailKey})
		isErr(t, "MarkRead(zero time)", err, msh.ErrInvalid)
		_, err = in.Port.GetMail(ctx, msh.MailKey{Tenant: "t1", Address: addr, MessageID: "missing"})
		isErr(t, "MarkRead created an item", err, msh.ErrNotFound)
	})

	t.Run("AddressIsolation", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		other := "urn:fdc:kommun-b.se:socialtjanst"
		noErr(t, "Deliver", in.Port.Deliver(ctx, sampleMail("t1", addr, "m1")))
		noErr(t, "Deliver", in.Port.Deliver(ctx, sampleMail("t1", other, "m2")))
		_, err := in.Port.GetMail(ctx, msh.MailKey{Tenant: "t1", Address: other, MessageID: "m1"})
		isErr(t, "GetMail through another address", err, msh.ErrNotFound)
		if ids := listAll(t, in.Port, "t1", addr, 10); !reflect.DeepEqual(ids, []string{"m1"}) {
			t.Fatalf("address lists %v", ids)
		}
		noErr(t, "Deliver(same id, other address)", in.Port.Deliver(ctx, sampleMail("t1", other, "m1")))
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		a := sampleMail("tenant-a", addr, "m1")
		noErr(t, "Deliver(A)", in.Port.Deliver(ctx, a))
		kb := msh.MailKey{Tenant: "tenant-b", Address: addr, MessageID: "m1"}
		_, err := in.Port.GetMail(ctx, kb)
		isErr(t, "B reads A's mail", err, msh.ErrNotFound)
		_, err = in.Port.MarkRead(ctx, msh.MarkReadRequest{MailKey: kb, At: T0})
		isErr(t, "B marks A's mail read", err, msh.ErrNotFound)
		if ids := listAll(t, in.Port, "tenant-b", addr, 10); len(ids) != 0 {
			t.Fatalf("B lists A's mail: %v", ids)
		}
		if ids := listAll(t, in.Port, "tenant-a", addr, 10); !reflect.DeepEqual(ids, []string{"m1"}) {
			t.Fatalf("A lists %v", ids)
		}
		got, err := in.Port.GetMail(ctx, a.MailKey)
		noErr(t, "GetMail(A)", err)
		if !got.ReadAt.IsZero() {
			t.Fatal("B's MarkRead reached A's mail")
		}
		b := sampleMail("tenant-b", addr, "m1")
		noErr(t, "Deliver(B, same key)", in.Port.Deliver(ctx, b))
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		for _, k := range badKeys {
			isErr(t, "Deliver("+k.name+")", in.Port.Deliver(ctx, sampleMail(k.tenant, addr, k.id)), msh.ErrInvalid)
			isErr(t, "Deliver(address: "+k.name+")", in.Port.Deliver(ctx, sampleMail(k.tenant, k.id, "m1")), msh.ErrInvalid)
			_, err := in.Port.GetMail(ctx, msh.MailKey{Tenant: k.tenant, Address: addr, MessageID: k.id})
			isErr(t, "GetMail("+k.name+")", err, msh.ErrInvalid)
		}
		for _, limit := range []int{-1, msh.MaxListLimit + 1} {
			_, err := in.Port.ListMail(ctx, msh.ListMailRequest{Tenant: "t1", Address: addr, Limit: limit})
			isErr(t, fmt.Sprint("ListMail(limit ", limit, ")"), err, msh.ErrInvalid)
		}
		noErr(t, "Deliver", in.Port.Deliver(ctx, sampleMail("t1", addr, "m1")))
		_, err := in.Port.ListMail(ctx, msh.ListMailRequest{Tenant: "t1", Address: addr, Cursor: "\x00garbage"})
		isErr(t, "ListMail(garbage cursor)", err, msh.ErrInvalid)
		big := sampleMail("t1", addr, "big")
		big.Meta = map[string]string{"x": string(make([]byte, msh.MaxRecordBytes))}
		isErr(t, "Deliver(oversize)", in.Port.Deliver(ctx, big), msh.ErrTooLarge)
	})

	t.Run("Durable", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		if in.Reopen == nil {
			t.Skip("adapter has no Reopen")
		}
		for _, id := range []string{"z", "a", "m"} {
			noErr(t, "Deliver", in.Port.Deliver(ctx, sampleMail("t1", addr, id)))
		}
		m := sampleMail("t1", addr, "a")
		_, err := in.Port.MarkRead(ctx, msh.MarkReadRequest{MailKey: m.MailKey, At: clk.Now()})
		noErr(t, "MarkRead", err)
		port := in.Reopen(t)
		got, err := port.GetMail(ctx, m.MailKey)
		noErr(t, "GetMail after reopen", err)
		if !got.ReadAt.Equal(clk.Now()) {
			t.Fatalf("ReadAt after reopen = %v", got.ReadAt)
		}
		isErr(t, "Deliver after reopen", port.Deliver(ctx, m), msh.ErrDuplicate)
		noErr(t, "Deliver new after reopen", port.Deliver(ctx, sampleMail("t1", addr, "b")))
		if ids := listAll(t, port, "t1", addr, 2); !reflect.DeepEqual(ids, []string{"z", "a", "m", "b"}) {
			t.Fatalf("order after reopen = %v", ids)
		}
	})
}
