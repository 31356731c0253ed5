package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/msh"
)

var _ msh.Mailbox = (*Mailbox)(nil)

const (
	skMailPrefix = "M#"
	skMailSeq    = "SEQ" // the mailbox's delivery counter; has no "ord", so not in IndexOrd
)

// Mailbox is the DynamoDB msh.Mailbox. A function address is one partition
// (pk T#{tenant}#MB#{address}) holding its items (sk M#{messageId}) and a delivery counter
// (sk SEQ). Deliver takes the next number from the counter (UpdateItem ADD), then puts the
// item with it in "ord" if absent; ListMail queries the LSI IndexOrd. A delivery that fails
// after taking a number leaves a gap, which nothing notices.
type Mailbox struct {
	api   API
	table string
}

// NewMailbox returns the mailbox store on table.
func NewMailbox(api API, table string) *Mailbox { return &Mailbox{api: api, table: table} }

// Deliver implements msh.Mailbox.
func (s *Mailbox) Deliver(ctx context.Context, m msh.MailItem) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("dynamo: deliver: %w", err)
	}
	doc, err := encodeDoc(toMailRec(m))
	if err != nil {
		return fmt.Errorf("dynamo: deliver %q: %w", m.MessageID, err)
	}
	pk := pkMailbox(m.Tenant, m.Address)
	// Cheap duplicate check first, so that a redelivery does not burn a number.
	if _, err := getItem(ctx, s.api, s.table, pk, skMailPrefix+m.MessageID); err == nil {
		return fmt.Errorf("dynamo: deliver %q: %w", m.MessageID, msh.ErrDuplicate)
	}
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(pk, skMailSeq),
		UpdateExpression:          aws.String("ADD #n :one"),
		ExpressionAttributeNames:  map[string]string{"#n": attrSeq},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return fmt.Errorf("dynamo: deliver %q: take a sequence number: %w", m.MessageID, err)
	}
	seq, err := getN(out.Attributes, attrSeq)
	if err != nil {
		return fmt.Errorf("dynamo: deliver %q: %w", m.MessageID, err)
	}
	item := key(pk, skMailPrefix+m.MessageID)
	item[attrDoc] = doc
	item[attrOrd] = str(seqKey(seq))
	if !m.ReadAt.IsZero() {
		item[attrRead] = str(formatTime(m.ReadAt))
	}
	if err := putIfAbsent(ctx, s.api, s.table, item); err != nil {
		return fmt.Errorf("dynamo: deliver %q: %w", m.MessageID, err)
	}
	return nil
}

func mailFrom(item map[string]types.AttributeValue, k msh.MailKey) (msh.MailItem, error) {
	var rec mailRec
	if err := decodeDoc(item, &rec); err != nil {
		return msh.MailItem{}, err
	}
	readAt, err := parseTime(getS(item, attrRead))
	if err != nil {
		return msh.MailItem{}, fmt.Errorf("readAt: %w", err)
	}
	return rec.item(k, readAt), nil
}

// GetMail implements msh.Mailbox with a strongly consistent read.
func (s *Mailbox) GetMail(ctx context.Context, k msh.MailKey) (msh.MailItem, error) {
	if err := k.Validate(); err != nil {
		return msh.MailItem{}, fmt.Errorf("dynamo: get mail: %w", err)
	}
	item, err := getItem(ctx, s.api, s.table, pkMailbox(k.Tenant, k.Address), skMailPrefix+k.MessageID)
	if err != nil {
		return msh.MailItem{}, fmt.Errorf("dynamo: get mail %q: %w", k.MessageID, err)
	}
	m, err := mailFrom(item, k)
	if err != nil {
		return msh.MailItem{}, fmt.Errorf("dynamo: get mail %q: %w", k.MessageID, err)
	}
	return m, nil
}

// ListMail implements msh.Mailbox: a consistent Query of IndexOrd after the cursor, which
// is the last item's "ord" (16 hex digits).
func (s *Mailbox) ListMail(ctx context.Context, r msh.ListMailRequest) (msh.MailPage, error) {
	if err := r.Validate(); err != nil {
		return msh.MailPage{}, fmt.Errorf("dynamo: list mail: %w", err)
	}
	after := r.Cursor
	if after == "" {
		after = seqKey(0)
	} else if !isHexKey(after) {
		return msh.MailPage{}, fmt.Errorf("dynamo: list mail: cursor %q: %w", r.Cursor, msh.ErrInvalid)
	}
	limit := r.EffectiveLimit()
	items, err := queryAfter(ctx, s.api, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(IndexOrd),
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk AND #ord > :after"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#ord": attrOrd},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pkMailbox(r.Tenant, r.Address)), ":after": str(after)},
	}, limit+1)
	if err != nil {
		return msh.MailPage{}, fmt.Errorf("dynamo: list mail: %w", err)
	}
	var page msh.MailPage
	for i, item := range items {
		if i == limit {
			page.Next = getS(items[i-1], attrOrd)
			break
		}
		sk := getS(item, attrSK)
		m, err := mailFrom(item, msh.MailKey{Tenant: r.Tenant, Address: r.Address, MessageID: sk[len(skMailPrefix):]})
		if err != nil {
			return msh.MailPage{}, fmt.Errorf("dynamo: list mail: %w", err)
		}
		page.Items = append(page.Items, m)
	}
	return page, nil
}

// queryAfter runs in until it has n items or the partition is exhausted (a Query page
// stops at 1 MB).
func queryAfter(ctx context.Context, api API, in *dynamodb.QueryInput, n int) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for {
		in.Limit = aws.Int32(int32(n - len(items)))
		out, err := api.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
		if len(items) >= n || len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// MarkRead implements msh.Mailbox: UpdateItem SET readAt = if_not_exists(readAt, :at) if
// the item exists, so the first ReadAt wins.
func (s *Mailbox) MarkRead(ctx context.Context, r msh.MarkReadRequest) (msh.MailItem, error) {
	if err := r.Validate(); err != nil {
		return msh.MailItem{}, fmt.Errorf("dynamo: mark read: %w", err)
	}
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(pkMailbox(r.Tenant, r.Address), skMailPrefix+r.MessageID),
		UpdateExpression:          aws.String("SET #r = if_not_exists(#r, :at)"),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  map[string]string{"#r": attrRead, "#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(formatTime(r.At))},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return msh.MailItem{}, fmt.Errorf("dynamo: mark read %q: %w", r.MessageID, msh.ErrNotFound)
	}
	if err != nil {
		return msh.MailItem{}, fmt.Errorf("dynamo: mark read %q: %w", r.MessageID, err)
	}
	m, err := mailFrom(out.Attributes, r.MailKey)
	if err != nil {
		return msh.MailItem{}, fmt.Errorf("dynamo: mark read %q: %w", r.MessageID, err)
	}
	return m, nil
}
