package sqsqueue_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
	"github.com/brevduva/brevduva/infra/aws/sqsqueue"
)

// The SQS API server is fauxqs (npm, started by scripts/aws-emulators.sh on 127.0.0.1).
// What it cannot check, and so these tests do not: IAM and queue policies, SSE-KMS of the
// queue, the Lambda event source mapping (batching, partial batch responses, scaling), and
// SQS's at-least-once duplicates and reordering under load, which the design tolerates by
// construction (a signal is only a hint; the DynamoDB item queue is the truth).

func sqsClient(t *testing.T) *sqs.Client {
	return sqs.New(sqs.Options{
		BaseEndpoint: aws.String(awstest.Endpoint(t, awstest.EnvSQS)),
		Region:       awstest.Region,
		Credentials:  awstest.Credentials,
		HTTPClient:   awstest.HTTPClient,
	})
}

func dynamoClient(t *testing.T) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(awstest.Endpoint(t, awstest.EnvDynamoDB)),
		Region:       awstest.Region,
		Credentials:  awstest.Credentials,
		HTTPClient:   awstest.HTTPClient,
	})
}

func newTable(t *testing.T, api *dynamodb.Client) string {
	t.Helper()
	name := awstest.Name("brevduva-q")
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

func newQueue(t *testing.T, api *sqs.Client, attrs map[string]string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	out, err := api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.Name("brevduva-wake")), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	t.Cleanup(func() { api.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
	a, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("queue attributes: %v", err)
	}
	return *out.QueueUrl, a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// TestContracts runs the queue suite through the SQS-signalling wrapper over the DynamoDB
// item queue: what production composes.
func TestContracts(t *testing.T) {
	sqsClient(t)
	dynamoClient(t)
	mshtest.All{
		OutboundQueue: func(t *testing.T, env mshtest.Env) mshtest.Instance[msh.OutboundQueue] {
			sq, db := sqsClient(t), dynamoClient(t)
			url, _ := newQueue(t, sq, nil)
			table := newTable(t, db)
			var mu sync.Mutex
			var sendErr error
			t.Cleanup(func() {
				if sendErr != nil {
					t.Errorf("a signal was not sent: %v", sendErr)
				}
			})
			mk := func(t *testing.T) msh.OutboundQueue {
				q := sqsqueue.New(dynamo.NewQueue(db, table, env.Clock, env.MaxAttempts), sq, url, env.Clock)
				q.OnSignalError = func(err error) { mu.Lock(); sendErr = err; mu.Unlock() }
				return q
			}
			return mshtest.Instance[msh.OutboundQueue]{Port: mk(t), Reopen: mk}
		},
	}.Run(t)
}

func receive(t *testing.T, api *sqs.Client, url string, wait int32) []sqstypes.Message {
	t.Helper()
	out, err := api.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait, VisibilityTimeout: 30,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

// TestSignals checks what the wrapper sends: a signal per Enqueue, delayed to NotBefore,
// and one per Nack; and that an SQS redrive policy moves a signal that keeps failing to
// the DLQ.
func TestSignals(t *testing.T) {
	ctx := context.Background()
	sq, db := sqsClient(t), dynamoClient(t)
	url, _ := newQueue(t, sq, nil)
	clk := mshtest.NewClock(time.Now())
	q := sqsqueue.New(dynamo.NewQueue(db, newTable(t, db), clk, 3), sq, url, clk)
	q.OnSignalError = func(err error) { t.Errorf("signal: %v", err) }

	if err := q.Enqueue(ctx, msh.QueueItem{Tenant: "tenant-a", ID: "now", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	msgs := receive(t, sq, url, 2)
	if len(msgs) != 1 {
		t.Fatalf("received %d signals, want 1", len(msgs))
	}
	s, err := sqsqueue.ParseSignal(*msgs[0].Body)
	if err != nil || s.Tenant != "tenant-a" || s.ID != "now" {
		t.Fatalf("signal %q: %+v %v", *msgs[0].Body, s, err)
	}
	sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle})

	// A delayed item: its signal is invisible until NotBefore (DelaySeconds 2).
	if err := q.Enqueue(ctx, msh.QueueItem{Tenant: "tenant-a", ID: "later", NotBefore: clk.Now().Add(1500 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	if msgs := receive(t, sq, url, 0); len(msgs) != 0 {
		t.Fatalf("delayed signal visible at once: %v", *msgs[0].Body)
	}
	msgs = receive(t, sq, url, 5)
	if len(msgs) != 1 {
		t.Fatalf("delayed signal: received %d, want 1", len(msgs))
	}
	if s, _ := sqsqueue.ParseSignal(*msgs[0].Body); s.ID != "later" {
		t.Fatalf("delayed signal %+v", s)
	}
	sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle})

	l, err := q.Lease(ctx, msh.LeaseRequest{Tenant: "tenant-a", Visibility: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "tenant-a", Handle: l.Handle}}); err != nil {
		t.Fatal(err)
	}
	if msgs := receive(t, sq, url, 2); len(msgs) != 1 {
		t.Fatalf("after Nack received %d signals, want 1", len(msgs))
	}
	// Refused calls send nothing.
	if err := q.Enqueue(ctx, msh.QueueItem{Tenant: "tenant-a", ID: "now"}); !errors.Is(err, msh.ErrDuplicate) {
		t.Fatalf("second Enqueue: %v", err)
	}
	if msgs := receive(t, sq, url, 0); len(msgs) != 0 {
		t.Fatalf("a refused Enqueue signalled: %v", *msgs[0].Body)
	}

	if got := sqsqueue.DelaySeconds(clk.Now(), clk.Now().Add(time.Hour)); got != 900 {
		t.Fatalf("DelaySeconds(1h) = %d, want SQS's maximum 900", got)
	}
	if _, err := sqsqueue.ParseSignal(`{"tenant":"a/b"}`); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("ParseSignal(bad tenant) = %v", err)
	}
}

// TestRedriveToDLQ checks the queue configuration the deployment uses: a signal received
// maxReceiveCount times without being deleted moves to the DLQ.
func TestRedriveToDLQ(t *testing.T) {
	ctx := context.Background()
	sq := sqsClient(t)
	dlqURL, dlqARN := newQueue(t, sq, nil)
	url, _ := newQueue(t, sq, map[string]string{
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"2"}`,
		"VisibilityTimeout": "0",
	})
	if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"tenant":"t1"}`)}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if msgs := receive0(t, sq, url); len(msgs) != 1 {
			t.Fatalf("receive %d: %d messages", i+1, len(msgs))
		}
	}
	if msgs := receive0(t, sq, url); len(msgs) != 0 {
		t.Fatalf("third receive still got the signal")
	}
	if msgs := receive(t, sq, dlqURL, 2); len(msgs) != 1 {
		t.Fatalf("DLQ holds %d messages, want 1", len(msgs))
	}
}

// receive0 receives with visibility timeout 0, so the message is due again at once.
func receive0(t *testing.T, api *sqs.Client, url string) []sqstypes.Message {
	t.Helper()
	out, err := api.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 0})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}
