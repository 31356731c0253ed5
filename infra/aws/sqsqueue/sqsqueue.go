// Package sqsqueue puts Amazon SQS in front of a DynamoDB item queue (infra/aws/dynamo) as
// its wake-up signal. The msh.OutboundQueue contract (a pending id enqueued once, stale
// lease handles refused, due times and visibility on the engine's Clock, dead letters
// readable per tenant) is kept by the item queue, whose every step is one conditional
// write. SQS carries no work, only "tenant T has an item due at about this time": Enqueue
// and Nack send a Signal with DelaySeconds until the item is due (at most SQS's 15
// minutes), and the SQS-triggered sender Lambda drains the tenant's item queue on each
// signal. A lost, early or duplicate signal costs a wasted or later Lease, never a lost or
// doubled item; a scheduled sweep (EventBridge, every few minutes) signals each tenant as a
// backstop for signals that were not sent and items due beyond 15 minutes. The SQS queue's
// own redrive policy moves a signal whose handling keeps failing to the DLQ, and the Lambda
// reports partial batch failures per signal.
package sqsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/brevduva/brevduva/core/msh"
)

// API is the part of *sqs.Client the queue uses.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ API = (*sqs.Client)(nil)

// MaxDelay is SQS's longest DelaySeconds.
const MaxDelay = 15 * time.Minute

// Signal is the body of a wake-up message: a tenant has the item ID due at about Due.
type Signal struct {
	Tenant string    `json:"tenant"`
	ID     string    `json:"id,omitempty"`
	Due    time.Time `json:"due"`
}

// ParseSignal decodes and checks a wake-up message body.
func ParseSignal(body string) (Signal, error) {
	var s Signal
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		return Signal{}, fmt.Errorf("sqsqueue: signal: %w: %w", msh.ErrInvalid, err)
	}
	if err := msh.ValidateTenant(s.Tenant); err != nil {
		return Signal{}, fmt.Errorf("sqsqueue: signal: %w", err)
	}
	return s, nil
}

// Queue is an msh.OutboundQueue that sends a Signal to SQS after each Enqueue and Nack of
// the queue it wraps.
type Queue struct {
	inner msh.OutboundQueue
	api   API
	url   string
	clock msh.Clock
	// OnSignalError, if set, is told when a signal could not be sent. The item is stored
	// regardless, and the call that stored it succeeds: the sweep will find it.
	OnSignalError func(error)
}

var (
	_ msh.OutboundQueue = (*Queue)(nil)
	_ msh.DeadLetters   = (*Queue)(nil)
)

// New returns inner with wake-up signals sent to the SQS queue at queueURL. clock must be
// inner's clock.
func New(inner msh.OutboundQueue, api API, queueURL string, clock msh.Clock) *Queue {
	return &Queue{inner: inner, api: api, url: queueURL, clock: clock}
}

// Enqueue implements msh.OutboundQueue: the inner Enqueue, then a signal delayed until
// item.NotBefore.
func (q *Queue) Enqueue(ctx context.Context, item msh.QueueItem) error {
	if err := q.inner.Enqueue(ctx, item); err != nil {
		return err
	}
	q.signal(ctx, item.Tenant, item.ID, item.NotBefore)
	return nil
}

// Lease implements msh.OutboundQueue (the inner queue's).
func (q *Queue) Lease(ctx context.Context, r msh.LeaseRequest) (msh.Lease, error) {
	return q.inner.Lease(ctx, r)
}

// Ack implements msh.OutboundQueue (the inner queue's).
func (q *Queue) Ack(ctx context.Context, r msh.LeaseRef) error { return q.inner.Ack(ctx, r) }

// Nack implements msh.OutboundQueue: the inner Nack, then a signal delayed by r.Delay.
func (q *Queue) Nack(ctx context.Context, r msh.NackRequest) error {
	if err := q.inner.Nack(ctx, r); err != nil {
		return err
	}
	q.signal(ctx, r.Tenant, "", q.clock.Now().Add(r.Delay))
	return nil
}

// ListDead implements msh.DeadLetters when the inner queue does.
func (q *Queue) ListDead(ctx context.Context, r msh.DeadLetterRequest) (msh.DeadLetterPage, error) {
	d, ok := q.inner.(msh.DeadLetters)
	if !ok {
		return msh.DeadLetterPage{}, fmt.Errorf("sqsqueue: list dead: inner queue %T keeps no dead letters: %w", q.inner, msh.ErrInvalid)
	}
	return d.ListDead(ctx, r)
}

func (q *Queue) signal(ctx context.Context, tenant, id string, due time.Time) {
	body, err := json.Marshal(Signal{Tenant: tenant, ID: id, Due: due.UTC()})
	if err == nil {
		_, err = q.api.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl:     aws.String(q.url),
			MessageBody:  aws.String(string(body)),
			DelaySeconds: DelaySeconds(q.clock.Now(), due),
		})
	}
	if err != nil && q.OnSignalError != nil {
		q.OnSignalError(fmt.Errorf("sqsqueue: signal %s %q: %w", tenant, id, err))
	}
}

// DelaySeconds is the SQS delay of a signal for an item due at due: the seconds from now,
// rounded up, between 0 and MaxDelay.
func DelaySeconds(now, due time.Time) int32 {
	d := due.Sub(now)
	if due.IsZero() || d <= 0 {
		return 0
	}
	if d >= MaxDelay {
		return int32(MaxDelay / time.Second)
	}
	return int32(math.Ceil(d.Seconds()))
}
