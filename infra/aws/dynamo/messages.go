package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/msh"
)

var _ msh.MessageStore = (*Messages)(nil)

// Messages is the DynamoDB msh.MessageStore: one item per inbound message
// (pk T#{tenant}#IN#{messageId}) and per outbound message (pk T#{tenant}#OUT#{messageId},
// with its version in the "ver" attribute for compare-and-swap).
type Messages struct {
	api   API
	table string
}

// NewMessages returns the message store on table.
func NewMessages(api API, table string) *Messages { return &Messages{api: api, table: table} }

// PutInbound implements msh.InboundStore: PutItem if attribute_not_exists(pk).
func (s *Messages) PutInbound(ctx context.Context, m msh.InboundMessage) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("dynamo: put inbound: %w", err)
	}
	doc, err := encodeDoc(toInboundRec(m))
	if err != nil {
		return fmt.Errorf("dynamo: put inbound %q: %w", m.MessageID, err)
	}
	item := key(pkInbound(m.MessageKey), skRecord)
	item[attrDoc] = doc
	if err := putIfAbsent(ctx, s.api, s.table, item); err != nil {
		return fmt.Errorf("dynamo: put inbound %q: %w", m.MessageID, err)
	}
	return nil
}

// GetInbound implements msh.InboundStore with a strongly consistent read.
func (s *Messages) GetInbound(ctx context.Context, k msh.MessageKey) (msh.InboundMessage, error) {
	if err := k.Validate(); err != nil {
		return msh.InboundMessage{}, fmt.Errorf("dynamo: get inbound: %w", err)
	}
	item, err := getItem(ctx, s.api, s.table, pkInbound(k), skRecord)
	if err != nil {
		return msh.InboundMessage{}, fmt.Errorf("dynamo: get inbound %q: %w", k.MessageID, err)
	}
	var rec inboundRec
	if err := decodeDoc(item, &rec); err != nil {
		return msh.InboundMessage{}, fmt.Errorf("dynamo: get inbound %q: %w", k.MessageID, err)
	}
	return rec.Msg(k), nil
}

// CreateOutbound implements msh.OutboxStore: PutItem (ver = 1) if attribute_not_exists(pk).
func (s *Messages) CreateOutbound(ctx context.Context, m msh.OutboundMessage) error {
	if err := m.ValidateNew(); err != nil {
		return fmt.Errorf("dynamo: create outbound: %w", err)
	}
	m.Version = 1
	item, err := outboundItem(m)
	if err != nil {
		return fmt.Errorf("dynamo: create outbound %q: %w", m.MessageID, err)
	}
	if err := putIfAbsent(ctx, s.api, s.table, item); err != nil {
		return fmt.Errorf("dynamo: create outbound %q: %w", m.MessageID, err)
	}
	return nil
}

func outboundItem(m msh.OutboundMessage) (map[string]types.AttributeValue, error) {
	doc, err := encodeDoc(toOutboundRec(m))
	if err != nil {
		return nil, err
	}
	item := key(pkOutbound(m.MessageKey), skRecord)
	item[attrDoc] = doc
	item[attrVer] = num(m.Version)
	return item, nil
}

// GetOutbound implements msh.OutboxStore with a strongly consistent read.
func (s *Messages) GetOutbound(ctx context.Context, k msh.MessageKey) (msh.OutboundMessage, error) {
	if err := k.Validate(); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("dynamo: get outbound: %w", err)
	}
	item, err := getItem(ctx, s.api, s.table, pkOutbound(k), skRecord)
	if err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("dynamo: get outbound %q: %w", k.MessageID, err)
	}
	var rec outboundRec
	if err := decodeDoc(item, &rec); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("dynamo: get outbound %q: %w", k.MessageID, err)
	}
	m := rec.Msg(k)
	if m.Version, err = getN(item, attrVer); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("dynamo: get outbound %q: %w", k.MessageID, err)
	}
	return m, nil
}

// SwapOutbound implements msh.OutboxStore: PutItem if ver = :expect. When the condition
// fails, a consistent read tells a missing record (ErrNotFound) from another version
// (ErrConflict); records are never deleted through this port, so the answer is stable.
func (s *Messages) SwapOutbound(ctx context.Context, r msh.SwapRequest) (msh.OutboundMessage, error) {
	next := r.Next
	if err := next.Validate(); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("dynamo: swap outbound: %w", err)
	}
	next.Version = r.Expect + 1
	item, err := outboundItem(next)
	if err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("dynamo: swap outbound %q: %w", next.MessageID, err)
	}
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      item,
		ConditionExpression:       aws.String("#v = :expect"),
		ExpressionAttributeNames:  map[string]string{"#v": attrVer},
		ExpressionAttributeValues: map[string]types.AttributeValue{":expect": num(r.Expect)},
	})
	if conditionFailed(err) {
		if _, gerr := getItem(ctx, s.api, s.table, pkOutbound(next.MessageKey), skRecord); gerr != nil {
			return msh.OutboundMessage{}, fmt.Errorf("dynamo: swap outbound %q: %w", next.MessageID, gerr)
		}
		return msh.OutboundMessage{}, fmt.Errorf("dynamo: swap outbound %q: version is not %d: %w", next.MessageID, r.Expect, msh.ErrConflict)
	}
	if err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("dynamo: swap outbound %q: %w", next.MessageID, err)
	}
	return next, nil
}

// putIfAbsent writes item if no item has its key; a taken key is msh.ErrDuplicate.
func putIfAbsent(ctx context.Context, api API, table string, item map[string]types.AttributeValue) error {
	_, err := api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	if conditionFailed(err) {
		return msh.ErrDuplicate
	}
	return err
}

// getItem reads one item with a strongly consistent read; a missing item is msh.ErrNotFound.
func getItem(ctx context.Context, api API, table, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, msh.ErrNotFound
	}
	return out.Item, nil
}
