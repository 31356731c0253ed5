package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/msh"
)

// API is the part of *dynamodb.Client the adapters use.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Attribute and index names of the table (see the package doc).
const (
	attrPK    = "pk"
	attrSK    = "sk"
	attrDoc   = "doc" // JSON of a private record struct (records.go)
	attrVer   = "ver"
	attrExp   = "exp" // guard: expiry, unix nanoseconds (exact check)
	attrTTL   = "ttl" // guard: expiry, unix seconds rounded up (DynamoDB TTL attribute)
	attrDue   = "due" // queue: when the item is leasable (timeKey); LSI IndexDue
	attrOrd   = "ord" // mailbox: delivery sequence (seqKey); LSI IndexOrd
	attrRead  = "readAt"
	attrSeq   = "n"
	attrBody  = "body"
	attrNB    = "nb"
	attrAtt   = "att"
	attrTok   = "tok"
	attrGen   = "gen"
	attrState = "st"
	attrDead  = "deadAt"
	attrID    = "id"

	// IndexDue orders a tenant's queue items by the time they become leasable.
	IndexDue = "due"
	// IndexOrd orders a mailbox by delivery sequence.
	IndexOrd = "ord"

	skRecord = "#" // sort key of the single-record partitions (inbound, outbound, guard)
)

// CreateTableInput is the table's schema: what Terraform creates (plus TTL on the "ttl"
// attribute, which DynamoDB Local emulators such as dynalite cannot configure). Tests use it.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	s := types.ScalarAttributeTypeS
	lsi := func(name, attr string) types.LocalSecondaryIndex {
		return types.LocalSecondaryIndex{
			IndexName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attr), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: s},
			{AttributeName: aws.String(attrSK), AttributeType: s},
			{AttributeName: aws.String(attrDue), AttributeType: s},
			{AttributeName: aws.String(attrOrd), AttributeType: s},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{lsi(IndexDue, attrDue), lsi(IndexOrd, attrOrd)},
	}
}

// Partition keys. Tenant ids cannot contain '#' (msh.ValidateTenant), and the part after
// the tenant starts with a fixed tag, so no two kinds of record share a key.
func pkInbound(k msh.MessageKey) string  { return "T#" + k.Tenant + "#IN#" + k.MessageID }
func pkOutbound(k msh.MessageKey) string { return "T#" + k.Tenant + "#OUT#" + k.MessageID }
func pkGuard(tenant, id string) string   { return "T#" + tenant + "#DUP#" + id }
func pkMailbox(tenant, addr string) string {
	return "T#" + tenant + "#MB#" + addr
}
func pkQueue(tenant string) string { return "T#" + tenant + "#Q" }
func pkDead(tenant string) string  { return "T#" + tenant + "#QD" }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(pk), attrSK: str(sk)}
}

func str(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
func bin(b []byte) *types.AttributeValueMemberB {
	if b == nil {
		b = []byte{}
	}
	return &types.AttributeValueMemberB{Value: b}
}

func getS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("attribute %s missing or not a number", name)
	}
	return strconv.ParseInt(v.Value, 10, 64)
}

func getB(item map[string]types.AttributeValue, name string) []byte {
	if v, ok := item[name].(*types.AttributeValueMemberB); ok {
		return v.Value
	}
	return nil
}

func encodeDoc(v any) (*types.AttributeValueMemberB, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return bin(b), nil
}

func decodeDoc(item map[string]types.AttributeValue, v any) error {
	b := getB(item, attrDoc)
	if b == nil {
		return fmt.Errorf("record without %s attribute", attrDoc)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	return nil
}

// conditionFailed reports whether err is DynamoDB's ConditionalCheckFailedException.
func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// timeKey is t as 16 hex digits that sort like the times: unix nanoseconds with the sign
// bit flipped; times outside int64 nanoseconds (the zero time) clamp to the ends.
func timeKey(t time.Time) string { return fmt.Sprintf("%016x", uint64(nanos(t))^(1<<63)) }

// nanos is t in unix nanoseconds, clamped to the int64 range.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// seqKey is n as 16 hex digits.
func seqKey(n int64) string { return fmt.Sprintf("%016x", uint64(n)) }

func isHexKey(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func token() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
