package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/msh"
)

var (
	_ msh.OutboundQueue = (*Queue)(nil)
	_ msh.DeadLetters   = (*Queue)(nil)
)

const (
	skItemPrefix = "I#"
	skDeadPrefix = "D#"
	stateDead    = "dead"

	// leaseCandidates is how many due items one Lease round reads; workers try them in a
	// random order, so that concurrent workers mostly pick different items.
	leaseCandidates = 16
	// maxLeaseRounds bounds the rounds of one Lease call. Each round in which this worker
	// loses every candidate means another worker won one, so the queue makes progress.
	maxLeaseRounds = 200
)

// Queue is the DynamoDB msh.OutboundQueue: one item per queue entry in the tenant's queue
// partition (pk T#{tenant}#Q, sk I#{id}). The item carries its body, attempt count
// ("att"), version ("ver"), the current lease token ("tok", absent when not leased) and the
// time it becomes leasable ("due", also the sort key of the LSI IndexDue; absent once the
// item is being dead-lettered). Every step is one conditional write on the item:
//
//	Enqueue  PutItem                     attribute_not_exists(pk)
//	Lease    Query IndexDue due <= now (consistent), then per candidate
//	         UpdateItem att+1, ver+1, tok=new, due=now+visibility   ver = :read
//	Ack      DeleteItem                  tok = :handle's token
//	Nack     UpdateItem due=now+delay, REMOVE tok, ver+1            tok = :handle's token
//
// An item due with att >= MaxAttempts is dead-lettered in three idempotent steps: mark it
// (st = dead, REMOVE due, tok; condition ver = :read), copy it to the tenant's dead-letter
// partition (pk T#{tenant}#QD, sk D#{deadAt}#{gen}, put-if-absent), delete the marked item
// (condition st = dead AND gen = :gen). A crash between the steps leaves a marked item that
// no Lease sees; the next Enqueue of its id finishes the move first.
//
// Time comes only from the Clock (DynamoDB holds the times as data), so the suite's fake
// clock works, and a lease handle stays valid across processes: it is the token and id.
type Queue struct {
	api         API
	table       string
	clock       msh.Clock
	maxAttempts int
}

// NewQueue returns the queue on table, reading time from clock, that dead-letters an item
// after maxAttempts leases (values below 1 mean 1).
func NewQueue(api API, table string, clock msh.Clock, maxAttempts int) *Queue {
	return &Queue{api: api, table: table, clock: clock, maxAttempts: max(maxAttempts, 1)}
}

// Enqueue implements msh.OutboundQueue.
func (q *Queue) Enqueue(ctx context.Context, it msh.QueueItem) error {
	if err := it.Validate(); err != nil {
		return fmt.Errorf("dynamo: enqueue: %w", err)
	}
	item := key(pkQueue(it.Tenant), skItemPrefix+it.ID)
	item[attrBody] = bin(it.Body)
	item[attrNB] = str(formatTime(it.NotBefore))
	item[attrDue] = str(timeKey(it.NotBefore))
	item[attrAtt] = num(0)
	item[attrVer] = num(1)
	item[attrGen] = str(token())
	for range 3 {
		err := putIfAbsent(ctx, q.api, q.table, item)
		if !errors.Is(err, msh.ErrDuplicate) {
			if err != nil {
				return fmt.Errorf("dynamo: enqueue %q: %w", it.ID, err)
			}
			return nil
		}
		cur, gerr := getItem(ctx, q.api, q.table, pkQueue(it.Tenant), skItemPrefix+it.ID)
		switch {
		case errors.Is(gerr, msh.ErrNotFound):
			continue // acked meanwhile
		case gerr != nil:
			return fmt.Errorf("dynamo: enqueue %q: %w", it.ID, gerr)
		case getS(cur, attrState) != stateDead:
			return fmt.Errorf("dynamo: enqueue %q: %w", it.ID, msh.ErrDuplicate)
		}
		if err := q.finishBurial(ctx, it.Tenant, cur); err != nil {
			return fmt.Errorf("dynamo: enqueue %q: %w", it.ID, err)
		}
	}
	return fmt.Errorf("dynamo: enqueue %q: %w", it.ID, msh.ErrDuplicate)
}

// Lease implements msh.OutboundQueue.
func (q *Queue) Lease(ctx context.Context, r msh.LeaseRequest) (msh.Lease, error) {
	if err := r.Validate(); err != nil {
		return msh.Lease{}, fmt.Errorf("dynamo: lease: %w", err)
	}
	now := q.clock.Now()
	until := now.Add(r.Visibility)
	pk := pkQueue(r.Tenant)
	for range maxLeaseRounds {
		out, err := q.api.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(q.table),
			IndexName:                 aws.String(IndexDue),
			ConsistentRead:            aws.Bool(true),
			KeyConditionExpression:    aws.String("#pk = :pk AND #due <= :now"),
			ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#due": attrDue},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":now": str(timeKey(now))},
			Limit:                     aws.Int32(leaseCandidates),
		})
		if err != nil {
			return msh.Lease{}, fmt.Errorf("dynamo: lease %s: %w", r.Tenant, err)
		}
		if len(out.Items) == 0 {
			return msh.Lease{}, fmt.Errorf("dynamo: lease %s: %w", r.Tenant, msh.ErrEmpty)
		}
		cands := out.Items
		rand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		for _, c := range cands {
			l, ok, err := q.tryLease(ctx, r.Tenant, c, now, until)
			if err != nil {
				return msh.Lease{}, fmt.Errorf("dynamo: lease %s: %w", r.Tenant, err)
			}
			if ok {
				return l, nil
			}
		}
	}
	return msh.Lease{}, fmt.Errorf("dynamo: lease %s: lost %d rounds to other workers: %w", r.Tenant, maxLeaseRounds, msh.ErrConflict)
}

// tryLease leases candidate c (as read) or reports ok = false when another writer got there
// first or the item was dead-lettered.
func (q *Queue) tryLease(ctx context.Context, tenant string, c map[string]types.AttributeValue, now, until time.Time) (msh.Lease, bool, error) {
	att, err := getN(c, attrAtt)
	if err != nil {
		return msh.Lease{}, false, err
	}
	ver, err := getN(c, attrVer)
	if err != nil {
		return msh.Lease{}, false, err
	}
	sk := getS(c, attrSK)
	if int(att) >= q.maxAttempts {
		return msh.Lease{}, false, q.bury(ctx, tenant, sk, ver, now)
	}
	tok := token()
	out, err := q.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(q.table),
		Key:                 key(pkQueue(tenant), sk),
		UpdateExpression:    aws.String("SET #att = #att + :one, #ver = #ver + :one, #tok = :tok, #due = :until"),
		ConditionExpression: aws.String("#ver = :ver"),
		ExpressionAttributeNames: map[string]string{
			"#att": attrAtt, "#ver": attrVer, "#tok": attrTok, "#due": attrDue,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": num(1), ":tok": str(tok), ":until": str(timeKey(until)), ":ver": num(ver),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return msh.Lease{}, false, nil
	}
	if err != nil {
		return msh.Lease{}, false, err
	}
	it, attempts, err := queueItem(tenant, out.Attributes)
	if err != nil {
		return msh.Lease{}, false, err
	}
	return msh.Lease{Item: it, Handle: handle(tok, it.ID), Attempt: attempts, Until: until}, true, nil
}

func queueItem(tenant string, item map[string]types.AttributeValue) (msh.QueueItem, int, error) {
	att, err := getN(item, attrAtt)
	if err != nil {
		return msh.QueueItem{}, 0, err
	}
	nb, err := parseTime(getS(item, attrNB))
	if err != nil {
		return msh.QueueItem{}, 0, fmt.Errorf("not-before: %w", err)
	}
	id := getS(item, attrID)
	if sk := getS(item, attrSK); strings.HasPrefix(sk, skItemPrefix) {
		id = sk[len(skItemPrefix):]
	}
	return msh.QueueItem{Tenant: tenant, ID: id, Body: getB(item, attrBody), NotBefore: nb}, int(att), nil
}

// bury dead-letters the item at sk, read at version ver (see Queue).
func (q *Queue) bury(ctx context.Context, tenant, sk string, ver int64, now time.Time) error {
	out, err := q.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(q.table),
		Key:                       key(pkQueue(tenant), sk),
		UpdateExpression:          aws.String("SET #st = :dead, #deadAt = :now, #ver = #ver + :one REMOVE #due, #tok"),
		ConditionExpression:       aws.String("#ver = :ver"),
		ExpressionAttributeNames:  map[string]string{"#st": attrState, "#deadAt": attrDead, "#ver": attrVer, "#due": attrDue, "#tok": attrTok},
		ExpressionAttributeValues: map[string]types.AttributeValue{":dead": str(stateDead), ":now": str(formatTime(now)), ":one": num(1), ":ver": num(ver)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return nil // changed meanwhile (acked, nacked, leased or buried by another worker)
	}
	if err != nil {
		return fmt.Errorf("dead-letter %q: %w", sk, err)
	}
	return q.finishBurial(ctx, tenant, out.Attributes)
}

// finishBurial copies a marked item to the dead letters and deletes it; both idempotent.
func (q *Queue) finishBurial(ctx context.Context, tenant string, marked map[string]types.AttributeValue) error {
	it, attempts, err := queueItem(tenant, marked)
	if err != nil {
		return err
	}
	deadAt, err := parseTime(getS(marked, attrDead))
	if err != nil {
		return fmt.Errorf("deadAt: %w", err)
	}
	gen := getS(marked, attrGen)
	dead := key(pkDead(tenant), skDeadPrefix+timeKey(deadAt)+"#"+gen)
	dead[attrID] = str(it.ID)
	dead[attrBody] = bin(it.Body)
	dead[attrNB] = str(formatTime(it.NotBefore))
	dead[attrAtt] = num(int64(attempts))
	dead[attrDead] = str(formatTime(deadAt))
	if err := putIfAbsent(ctx, q.api, q.table, dead); err != nil && !errors.Is(err, msh.ErrDuplicate) {
		return fmt.Errorf("dead-letter %q: %w", it.ID, err)
	}
	_, err = q.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(q.table),
		Key:                       key(pkQueue(tenant), skItemPrefix+it.ID),
		ConditionExpression:       aws.String("#st = :dead AND #gen = :gen"),
		ExpressionAttributeNames:  map[string]string{"#st": attrState, "#gen": attrGen},
		ExpressionAttributeValues: map[string]types.AttributeValue{":dead": str(stateDead), ":gen": str(gen)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("dead-letter %q: %w", it.ID, err)
	}
	return nil
}

// A lease handle is the lease token, ':' and the item id.
func handle(tok, id string) string { return tok + ":" + id }

func parseHandle(h string) (tok, id string, err error) {
	tok, id, ok := strings.Cut(h, ":")
	if !ok || len(tok) != 32 || msh.ValidateID("queue item id", id) != nil {
		return "", "", fmt.Errorf("handle %q: %w", h, msh.ErrLeaseLost)
	}
	return tok, id, nil
}

// Ack implements msh.OutboundQueue: DeleteItem if tok = the handle's token.
func (q *Queue) Ack(ctx context.Context, r msh.LeaseRef) error {
	if err := msh.ValidateTenant(r.Tenant); err != nil {
		return fmt.Errorf("dynamo: ack: %w", err)
	}
	tok, id, err := parseHandle(r.Handle)
	if err != nil {
		return fmt.Errorf("dynamo: ack: %w", err)
	}
	_, err = q.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(q.table),
		Key:                       key(pkQueue(r.Tenant), skItemPrefix+id),
		ConditionExpression:       aws.String("#tok = :tok"),
		ExpressionAttributeNames:  map[string]string{"#tok": attrTok},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tok": str(tok)},
	})
	if conditionFailed(err) {
		return fmt.Errorf("dynamo: ack %q: %w", id, msh.ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("dynamo: ack %q: %w", id, err)
	}
	return nil
}

// Nack implements msh.OutboundQueue: UpdateItem due = now+delay, REMOVE tok if tok = the
// handle's token.
func (q *Queue) Nack(ctx context.Context, r msh.NackRequest) error {
	if err := msh.ValidateTenant(r.Tenant); err != nil {
		return fmt.Errorf("dynamo: nack: %w", err)
	}
	if r.Delay < 0 {
		return fmt.Errorf("dynamo: nack: negative delay: %w", msh.ErrInvalid)
	}
	tok, id, err := parseHandle(r.Handle)
	if err != nil {
		return fmt.Errorf("dynamo: nack: %w", err)
	}
	_, err = q.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(q.table),
		Key:                       key(pkQueue(r.Tenant), skItemPrefix+id),
		UpdateExpression:          aws.String("SET #due = :due, #ver = #ver + :one REMOVE #tok"),
		ConditionExpression:       aws.String("#tok = :tok"),
		ExpressionAttributeNames:  map[string]string{"#due": attrDue, "#ver": attrVer, "#tok": attrTok},
		ExpressionAttributeValues: map[string]types.AttributeValue{":due": str(timeKey(q.clock.Now().Add(r.Delay))), ":one": num(1), ":tok": str(tok)},
	})
	if conditionFailed(err) {
		return fmt.Errorf("dynamo: nack %q: %w", id, msh.ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("dynamo: nack %q: %w", id, err)
	}
	return nil
}

// ListDead implements msh.DeadLetters: a Query of the tenant's dead-letter partition in
// order of death; the cursor is the last sort key, base64url.
func (q *Queue) ListDead(ctx context.Context, r msh.DeadLetterRequest) (msh.DeadLetterPage, error) {
	if err := msh.ValidateTenant(r.Tenant); err != nil {
		return msh.DeadLetterPage{}, fmt.Errorf("dynamo: list dead: %w", err)
	}
	limit := r.Limit
	if limit <= 0 {
		limit = msh.DefaultListLimit
	}
	limit = min(limit, msh.MaxListLimit)
	after := skDeadPrefix
	if r.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(r.Cursor)
		if err != nil || !strings.HasPrefix(string(b), skDeadPrefix) {
			return msh.DeadLetterPage{}, fmt.Errorf("dynamo: list dead: cursor %q: %w", r.Cursor, msh.ErrInvalid)
		}
		after = string(b)
	}
	items, err := queryAfter(ctx, q.api, &dynamodb.QueryInput{
		TableName:                 aws.String(q.table),
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk > :after"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pkDead(r.Tenant)), ":after": str(after)},
	}, limit+1)
	if err != nil {
		return msh.DeadLetterPage{}, fmt.Errorf("dynamo: list dead %s: %w", r.Tenant, err)
	}
	var page msh.DeadLetterPage
	for i, item := range items {
		if i == limit {
			page.Next = base64.RawURLEncoding.EncodeToString([]byte(getS(items[i-1], attrSK)))
			break
		}
		it, attempts, err := queueItem(r.Tenant, item)
		if err != nil {
			return msh.DeadLetterPage{}, fmt.Errorf("dynamo: list dead %s: %w", r.Tenant, err)
		}
		deadAt, err := parseTime(getS(item, attrDead))
		if err != nil {
			return msh.DeadLetterPage{}, fmt.Errorf("dynamo: list dead %s: %w", r.Tenant, err)
		}
		page.Items = append(page.Items, msh.DeadLetter{Item: it, Attempts: attempts, DeadAt: deadAt})
	}
	return page, nil
}
