package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
)

// What dynalite 4.0.0 cannot check, and so these tests do not: DynamoDB TTL (no TTL API:
// expired guard items are never deleted, only outvoted by the condition, which is what the
// contract needs), IAM conditions (e.g. dynamodb:LeadingKeys per tenant), capacity and
// throttling, the 10 GB item-collection limit of a partition with local secondary
// indexes, and real DynamoDB's request latency under contention.

// Client returns a DynamoDB client for the emulator, or skips t.
func client(t testing.TB) *dynamodb.Client {
	ep := awstest.Endpoint(t, awstest.EnvDynamoDB)
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(ep),
		Region:       awstest.Region,
		Credentials:  awstest.Credentials,
		HTTPClient:   awstest.HTTPClient,
	})
}

// NewTable creates a fresh table with the adapters' schema and deletes it after the test.
func newTable(t testing.TB, api *dynamodb.Client) string {
	t.Helper()
	name := awstest.Name("brevduva")
	ctx := context.Background()
	if _, err := api.CreateTable(ctx, dynamo.CreateTableInput(name)); err != nil {
		t.Fatalf("create table: %v", err)
	}
	w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50e6; o.MaxDelay = 500e6 })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30e9); err != nil {
		t.Fatalf("table %s not active: %v", name, err)
	}
	t.Cleanup(func() { api.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
	return name
}

func opener[P any](mk func(api dynamo.API, table string, env mshtest.Env) P) mshtest.Opener[P] {
	return func(t *testing.T, env mshtest.Env) mshtest.Instance[P] {
		api := client(t)
		table := newTable(t, api)
		return mshtest.Instance[P]{
			Port: mk(api, table, env),
			// A "restart" is a new adapter, with a new client, on the same table.
			Reopen: func(t *testing.T) P { return mk(client(t), table, env) },
		}
	}
}

func TestContracts(t *testing.T) {
	client(t) // skip early when dynalite is not there
	mshtest.All{
		InboundStore: opener(func(api dynamo.API, table string, _ mshtest.Env) msh.InboundStore {
			return dynamo.NewMessages(api, table)
		}),
		OutboxStore: opener(func(api dynamo.API, table string, _ mshtest.Env) msh.OutboxStore {
			return dynamo.NewMessages(api, table)
		}),
		DuplicateGuard: opener(func(api dynamo.API, table string, env mshtest.Env) msh.DuplicateGuard {
			return dynamo.NewGuard(api, table, env.Clock)
		}),
		OutboundQueue: opener(func(api dynamo.API, table string, env mshtest.Env) msh.OutboundQueue {
			return dynamo.NewQueue(api, table, env.Clock, env.MaxAttempts)
		}),
		Mailbox: opener(func(api dynamo.API, table string, _ mshtest.Env) msh.Mailbox {
			return dynamo.NewMailbox(api, table)
		}),
	}.Run(t)
}
