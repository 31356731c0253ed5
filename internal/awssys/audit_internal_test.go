package awssys

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
)

// AuditTable is a fresh adapters' table in dynalite (skips without the emulators); the
// external tests use it too.
func AuditTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	api := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(awstest.Endpoint(t, awstest.EnvDynamoDB)),
		Region: awstest.Region, Credentials: awstest.Credentials, HTTPClient: awstest.HTTPClient})
	table := awstest.Name("audit")
	ctx := context.Background()
	if _, err := api.CreateTable(ctx, dynamo.CreateTableInput(table)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		api.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50e6; o.MaxDelay = 500e6 })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 30e9); err != nil {
		t.Fatal(err)
	}
	return api, table
}

// A cold start prunes the tenant's chain to BREVDUVA_AUDIT_RETENTION_MONTHS (dynalite).
func TestNewAuditPrunesAtColdStart(t *testing.T) {
	api, table := AuditTable(t)
	ctx := context.Background()
	old := time.Now().AddDate(0, -3, 0)
	past, err := audit.NewLog(audit.Options{Store: dynamo.NewAuditStore(api, table), Now: func() time.Time { return old }})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := past.Append(ctx, audit.Event{Tenant: "kommun-a", Type: audit.TypeState, MessageID: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	if _, err := newAudit(ctx, MapEnv(map[string]string{EnvAuditRetentionMonths: "x"}), &Clients{DynamoDB: api}, table, "kommun-a", nil, log); err == nil {
		t.Fatal("a retention that is not a number was accepted")
	}
	l, err := newAudit(ctx, MapEnv(map[string]string{EnvAuditRetentionMonths: "2"}), &Clients{DynamoDB: api}, table, "kommun-a", nil, log)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(ctx, "kommun-a")
	if err != nil || rep.Checkpoint == nil || rep.Checkpoint.Seq != 3 || rep.Entries != 1 {
		t.Fatalf("after the cold start: %+v, %v", rep, err)
	}
}
