package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
)

// TestDeadLetterCrashRecovery stops a dead-lettering after its first step (the item is
// marked, not yet copied or deleted), as a crashed worker would, and checks that no Lease
// sees the marked item, that Enqueue of its id finishes the move before enqueueing, and
// that the dead letter is then listed once.
func TestDeadLetterCrashRecovery(t *testing.T) {
	ctx := context.Background()
	api := client(t)
	table := newTable(t, api)
	clk := mshtest.NewClock(mshtest.T0)
	q := dynamo.NewQueue(api, table, clk, 1)
	if err := q.Enqueue(ctx, msh.QueueItem{Tenant: "t1", ID: "poison", Body: []byte("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: time.Minute}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	// The first step of the move, done by hand: mark the item dead and take it out of the
	// due index.
	_, err := api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "T#t1#Q"}, "sk": &types.AttributeValueMemberS{Value: "I#poison"},
		},
		UpdateExpression:          aws.String("SET st = :dead, deadAt = :at REMOVE due, tok"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":dead": &types.AttributeValueMemberS{Value: "dead"}, ":at": &types.AttributeValueMemberS{Value: clk.Now().Format(time.RFC3339Nano)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: time.Minute}); !errors.Is(err, msh.ErrEmpty) {
		t.Fatalf("Lease saw a marked item: %v", err)
	}
	if page, err := q.ListDead(ctx, msh.DeadLetterRequest{Tenant: "t1"}); err != nil || len(page.Items) != 0 {
		t.Fatalf("ListDead before recovery = %+v, %v (the copy was never made)", page, err)
	}
	if err := q.Enqueue(ctx, msh.QueueItem{Tenant: "t1", ID: "poison", Body: []byte("again")}); err != nil {
		t.Fatalf("Enqueue over a marked item: %v", err)
	}
	page, err := q.ListDead(ctx, msh.DeadLetterRequest{Tenant: "t1"})
	if err != nil || len(page.Items) != 1 || string(page.Items[0].Item.Body) != "p" || page.Items[0].Attempts != 1 || !page.Items[0].DeadAt.Equal(clk.Now()) {
		t.Fatalf("ListDead after recovery = %+v, %v", page, err)
	}
	l, err := q.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: time.Minute})
	if err != nil || string(l.Item.Body) != "again" || l.Attempt != 1 {
		t.Fatalf("Lease after re-enqueue = %+v, %v", l, err)
	}
}

// TestListDeadPaging pages through more dead letters than one page holds.
func TestListDeadPaging(t *testing.T) {
	ctx := context.Background()
	api := client(t)
	clk := mshtest.NewClock(mshtest.T0)
	q := dynamo.NewQueue(api, newTable(t, api), clk, 1)
	const n = 7
	for i := range n {
		id := string(rune('a' + i))
		if err := q.Enqueue(ctx, msh.QueueItem{Tenant: "t1", ID: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: time.Second}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
		if _, err := q.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: time.Second}); !errors.Is(err, msh.ErrEmpty) {
			t.Fatalf("lease after max attempts: %v", err)
		}
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("ListDead does not terminate")
		}
		p, err := q.ListDead(ctx, msh.DeadLetterRequest{Tenant: "t1", Cursor: cursor, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Items {
			got = append(got, d.Item.ID)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if strings.Join(got, "") != "abcdefg" {
		t.Fatalf("dead letters in order %v", got)
	}
	if _, err := q.ListDead(ctx, msh.DeadLetterRequest{Tenant: "t1", Cursor: "!!"}); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("ListDead(bad cursor) = %v", err)
	}
}
