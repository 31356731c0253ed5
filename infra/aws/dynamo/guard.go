package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/msh"
)

var _ msh.DuplicateGuard = (*Guard)(nil)

// Guard is the DynamoDB msh.DuplicateGuard: one item per registration
// (pk T#{tenant}#DUP#{messageId}) with its expiry in nanoseconds ("exp", checked exactly by
// the condition) and in seconds ("ttl", DynamoDB's lazy TTL deletion). It has no
// GuardSweeper: TTL deletes expired registrations.
type Guard struct {
	api   API
	table string
	clock msh.Clock
}

// NewGuard returns the duplicate guard on table, reading time from clock.
func NewGuard(api API, table string, clock msh.Clock) *Guard {
	return &Guard{api: api, table: table, clock: clock}
}

// Register implements msh.DuplicateGuard: PutItem if attribute_not_exists(pk) OR exp <= :now.
// A failed condition means an unexpired registration exists: seen.
func (g *Guard) Register(ctx context.Context, r msh.GuardRequest) (bool, error) {
	if err := r.Validate(); err != nil {
		return false, fmt.Errorf("dynamo: register: %w", err)
	}
	now := g.clock.Now()
	if !r.Expires.After(now) {
		return false, fmt.Errorf("dynamo: register %q: expiry %v not after now: %w", r.MessageID, r.Expires, msh.ErrInvalid)
	}
	exp := nanos(r.Expires)
	ttl := r.Expires.Unix()
	if r.Expires.After(time.Unix(ttl, 0)) {
		ttl++
	}
	item := key(pkGuard(r.Tenant, r.MessageID), skRecord)
	item[attrExp] = num(exp)
	item[attrTTL] = num(ttl)
	_, err := g.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(g.table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #exp <= :now"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#exp": attrExp},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(nanos(now))},
	})
	if conditionFailed(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: register %q: %w", r.MessageID, err)
	}
	return false, nil
}
