package dynamo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/audit/audittest"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
)

// dynTamper writes the table's audit items directly, without the conditions.
type dynTamper struct {
	api   *dynamodb.Client
	table string
}

func s(v string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: v} }

func (d dynTamper) key(tenant string, seq uint64) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s("T#" + tenant + "#AUD"), "sk": s(fmt.Sprintf("%020d", seq))}
}

func (d dynTamper) Overwrite(tenant string, seq uint64, data []byte) error {
	item := d.key(tenant, seq)
	item["body"] = &types.AttributeValueMemberB{Value: data}
	_, err := d.api.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item})
	return err
}

func (d dynTamper) Remove(tenant string, seq uint64) error {
	_, err := d.api.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(d.table), Key: d.key(tenant, seq)})
	return err
}

func (d dynTamper) ForceCheckpoint(tenant string, c audit.Checkpoint) error {
	item := map[string]types.AttributeValue{
		"pk": s("T#" + tenant + "#AUDCP"), "sk": s("#"),
		"n":    &types.AttributeValueMemberN{Value: fmt.Sprint(c.Seq)},
		"body": &types.AttributeValueMemberB{Value: c.Hash[:]},
		"at":   &types.AttributeValueMemberN{Value: fmt.Sprint(c.At.UnixNano())},
	}
	_, err := d.api.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item})
	return err
}

// The audittest contract against dynalite, including concurrent appenders (each with its
// own client, as separate Lambdas would be) that must not fork the chain.
func TestAuditStore(t *testing.T) {
	audittest.Run(t, func(t *testing.T) (audit.Store, audittest.Tamper) {
		api := client(t)
		table := newTable(t, api)
		return dynamo.NewAuditStore(api, table), dynTamper{api, table}
	})
}
