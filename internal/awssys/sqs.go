package awssys

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brevduva/brevduva/infra/aws/sqsqueue"
)

// Worker runs due work items of a tenant: RunOnce leases one (send or delivery) and
// reports whether there was one. *msh.Engine fits.
type Worker interface {
	RunOnce(ctx context.Context, tenant string) (bool, error)
}

// MaxItemsPerSignal bounds the items one signal drains, so one invocation stays well
// inside its timeout; the rest is found by the next signal or the scheduled backstop.
const MaxItemsPerSignal = 50

// SQSSignals handles a batch of sqsqueue wake-up signals: for each, it drains the
// signalled tenant's due items with RunOnce until none is due (or MaxItemsPerSignal).
// A signal that cannot be parsed, names another tenant, or whose draining fails is a
// batch item failure: SQS returns it after its visibility timeout and, after
// maxReceiveCount, moves it to the DLQ. Each tenant is drained once per batch. A batch ends
// with the audit failure metric when w counts them (auditMeter).
func SQSSignals(w Worker, tenant string, log *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	m := newAuditMeter(w, tenant, log)
	return func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
		defer m.report(ctx)
		var resp events.SQSEventResponse
		drained := map[string]error{}
		for _, m := range e.Records {
			err := func() error {
				s, err := sqsqueue.ParseSignal(m.Body)
				if err != nil {
					return err
				}
				if s.Tenant != tenant {
					return fmt.Errorf("awssys: signal for tenant %q reached tenant %q's function", s.Tenant, tenant)
				}
				if err, done := drained[s.Tenant]; done {
					return err
				}
				err = drain(ctx, w, s.Tenant)
				drained[s.Tenant] = err
				return err
			}()
			if err != nil {
				log.Warn("sqs signal failed", "messageId", m.MessageId, "err", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return resp, nil
	}
}

func drain(ctx context.Context, w Worker, tenant string) error {
	for range MaxItemsPerSignal {
		worked, err := w.RunOnce(ctx, tenant)
		if err != nil {
			return fmt.Errorf("awssys: run %s: %w", tenant, err)
		}
		if !worked {
			return nil
		}
	}
	return nil
}
