package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/msh"
)

var _ audit.Store = (*AuditStore)(nil)

// AuditStore is the DynamoDB audit.Store (docs/design/audit.md), in the adapters' table:
//
//	pk T#{tenant}#AUD,  sk {seq, 20 digits}  body = the entry's bytes (audit.Encode)
//	pk T#{tenant}#AUDCP, sk #                n = seq, body = hash, at = unix nanoseconds
//
// An append is one PutItem with attribute_not_exists(pk): of the Lambdas that read the
// same head and race for the next sequence number exactly one wins, the others re-read
// the head (a strongly consistent Query) and retry, so the chain never forks. No
// transaction is needed (dynalite has none).
type AuditStore struct {
	api   API
	table string
}

// NewAuditStore returns the audit store on table.
func NewAuditStore(api API, table string) *AuditStore { return &AuditStore{api: api, table: table} }

const attrAt = "at"

func pkAudit(tenant string) string      { return "T#" + tenant + "#AUD" }
func pkAuditCheck(tenant string) string { return "T#" + tenant + "#AUDCP" }
func skAudit(seq uint64) string         { return fmt.Sprintf("%020d", seq) }

func checkAuditTenant(tenant string) error {
	if err := msh.ValidateTenant(tenant); err != nil {
		return fmt.Errorf("dynamo: audit: %w: %w", audit.ErrInvalid, err)
	}
	return nil
}

// Append implements audit.Store.
func (s *AuditStore) Append(ctx context.Context, tenant string, r audit.Record) error {
	if err := checkAuditTenant(tenant); err != nil {
		return err
	}
	item := key(pkAudit(tenant), skAudit(r.Seq))
	item[attrBody] = bin(r.Data)
	err := putIfAbsent(ctx, s.api, s.table, item)
	if errors.Is(err, msh.ErrDuplicate) {
		err = audit.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("dynamo: audit append %s #%d: %w", tenant, r.Seq, err)
	}
	return nil
}

func auditRecord(item map[string]types.AttributeValue) (audit.Record, error) {
	var seq uint64
	if _, err := fmt.Sscanf(getS(item, attrSK), "%d", &seq); err != nil {
		return audit.Record{}, fmt.Errorf("dynamo: audit item %q: %w", getS(item, attrSK), err)
	}
	return audit.Record{Seq: seq, Data: getB(item, attrBody)}, nil
}

// Last implements audit.Store: the highest sort key, read consistently.
func (s *AuditStore) Last(ctx context.Context, tenant string) (audit.Record, error) {
	if err := checkAuditTenant(tenant); err != nil {
		return audit.Record{}, err
	}
	out, err := s.api.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pkAudit(tenant))},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return audit.Record{}, fmt.Errorf("dynamo: audit head %s: %w", tenant, err)
	}
	if len(out.Items) == 0 {
		return audit.Record{}, fmt.Errorf("dynamo: audit head %s: %w", tenant, audit.ErrEmpty)
	}
	return auditRecord(out.Items[0])
}

// Scan implements audit.Store: a consistent Query from sort key from.
func (s *AuditStore) Scan(ctx context.Context, tenant string, from uint64, limit int) ([]audit.Record, error) {
	if err := checkAuditTenant(tenant); err != nil {
		return nil, err
	}
	if limit < 1 || limit > audit.MaxScan {
		return nil, fmt.Errorf("dynamo: audit scan limit %d: %w", limit, audit.ErrInvalid)
	}
	items, err := queryAfter(ctx, s.api, s.rangeQuery(tenant, "#sk >= :b", skAudit(from)), limit)
	if err != nil {
		return nil, fmt.Errorf("dynamo: audit scan %s: %w", tenant, err)
	}
	out := make([]audit.Record, 0, len(items))
	for _, it := range items {
		r, err := auditRecord(it)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *AuditStore) rangeQuery(tenant, cond, bound string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("#pk = :pk AND " + cond),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pkAudit(tenant)), ":b": str(bound)},
		ConsistentRead:            aws.Bool(true),
	}
}

// PutCheckpoint implements audit.Store: PutItem if absent or n < :seq.
func (s *AuditStore) PutCheckpoint(ctx context.Context, tenant string, c audit.Checkpoint) error {
	if err := checkAuditTenant(tenant); err != nil {
		return err
	}
	item := key(pkAuditCheck(tenant), skRecord)
	item[attrSeq] = num(int64(c.Seq))
	item[attrBody] = bin(c.Hash[:])
	item[attrAt] = num(nanos(c.At))
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #n < :n"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#n": attrSeq},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(int64(c.Seq))},
	})
	if conditionFailed(err) {
		err = audit.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("dynamo: audit checkpoint %s #%d: %w", tenant, c.Seq, err)
	}
	return nil
}

// Checkpoint implements audit.Store.
func (s *AuditStore) Checkpoint(ctx context.Context, tenant string) (audit.Checkpoint, error) {
	if err := checkAuditTenant(tenant); err != nil {
		return audit.Checkpoint{}, err
	}
	item, err := getItem(ctx, s.api, s.table, pkAuditCheck(tenant), skRecord)
	if errors.Is(err, msh.ErrNotFound) {
		err = audit.ErrNotFound
	}
	if err != nil {
		return audit.Checkpoint{}, fmt.Errorf("dynamo: audit checkpoint %s: %w", tenant, err)
	}
	n, err := getN(item, attrSeq)
	at, err2 := getN(item, attrAt)
	h := getB(item, attrBody)
	if err != nil || err2 != nil || len(h) != 32 {
		return audit.Checkpoint{}, fmt.Errorf("dynamo: audit checkpoint %s: malformed item", tenant)
	}
	c := audit.Checkpoint{Seq: uint64(n), At: time.Unix(0, at).UTC()}
	copy(c.Hash[:], h)
	return c, nil
}

// DeleteThrough implements audit.Store: a Query of the keys up to through, one DeleteItem
// each.
func (s *AuditStore) DeleteThrough(ctx context.Context, tenant string, through uint64) error {
	if err := checkAuditTenant(tenant); err != nil {
		return err
	}
	for {
		in := s.rangeQuery(tenant, "#sk <= :b", skAudit(through))
		in.ProjectionExpression = aws.String("#pk, #sk")
		items, err := queryAfter(ctx, s.api, in, audit.MaxScan)
		if err != nil {
			return fmt.Errorf("dynamo: audit delete %s: %w", tenant, err)
		}
		for _, it := range items {
			if _, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(getS(it, attrPK), getS(it, attrSK))}); err != nil {
				return fmt.Errorf("dynamo: audit delete %s: %w", tenant, err)
			}
		}
		if len(items) < audit.MaxScan {
			return nil
		}
	}
}
