package localsys

import (
	"context"
	"errors"
	"fmt"

	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/sdkapi"
)

// api adapts the per-tenant engines to sdkapi.Service. Each tenant has its own engine
// (its own mutual TLS client certificate); a tenant id selects it and nothing else.
type api struct {
	engines map[string]*msh.Engine
	tenants map[string]Tenant
}

var _ sdkapi.Service = (*api)(nil)

func (a *api) engine(tenant string) (*msh.Engine, error) {
	e, ok := a.engines[tenant]
	if !ok {
		return nil, fmt.Errorf("localsys: tenant %q: %w", tenant, sdkapi.ErrNotFound)
	}
	return e, nil
}

// mapErr translates the engine's sentinels into the API's.
func mapErr(err error) error {
	var to error
	switch {
	case errors.Is(err, msh.ErrNotFound), errors.Is(err, msh.ErrUnknownTenant):
		to = sdkapi.ErrNotFound
	case errors.Is(err, msh.ErrDuplicate):
		to = sdkapi.ErrDuplicate
	case errors.Is(err, msh.ErrNotDeletable), errors.Is(err, msh.ErrConflict):
		to = sdkapi.ErrNotDeletable
	case errors.Is(err, discovery.ErrUntrusted), errors.Is(err, discovery.ErrBadSignature):
		to = sdkapi.ErrRecipientUntrusted
	case errors.Is(err, msh.ErrRecipientNotFound), errors.Is(err, discovery.ErrNotFound), errors.Is(err, discovery.ErrNoEndpoint):
		to = sdkapi.ErrRecipientNotFound
	case errors.Is(err, msh.ErrInvalid):
		to = sdkapi.ErrInvalid
	case errors.Is(err, msh.ErrNotImplemented):
		to = sdkapi.ErrNotSupported
	default:
		return err
	}
	return fmt.Errorf("%w: %w", to, err)
}

func (a *api) Participant(_ context.Context, tenant string) (string, error) {
	t, ok := a.tenants[tenant]
	if !ok {
		return "", fmt.Errorf("localsys: tenant %q: %w", tenant, sdkapi.ErrNotFound)
	}
	return t.Participant, nil
}

func (a *api) Send(ctx context.Context, tenant string, s sdkapi.Submission) (sdkapi.Sent, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return sdkapi.Sent{}, err
	}
	o, err := e.Submit(ctx, tenant, msh.Submission{XHE: s.XHE, Message: s.Message})
	if err != nil {
		return sdkapi.Sent{}, mapErr(err)
	}
	return sent(o), nil
}

func sent(o *msh.Outbound) sdkapi.Sent {
	s := sdkapi.Sent{MessageID: o.MessageID, ConversationID: o.ConversationID, RefToMessageID: o.RefToMessageID,
		Sender: o.Sender, Recipient: o.Recipient, FunctionAddress: o.FunctionAddress, Label: o.Label,
		Status: string(o.State), CreatedAt: o.CreatedAt}
	for _, ev := range o.History {
		s.Events = append(s.Events, sdkapi.SentEvent{Status: string(ev.State), At: ev.At, Reason: ev.Reason})
	}
	// The latest event carries the outcome with its detail (kvittens detail code or a
	// short failure description).
	if len(s.Events) > 0 && o.Reason != "" {
		last := &s.Events[len(s.Events)-1]
		if last.Reason == "" || last.Reason == o.Reason {
			last.Reason = reason(o)
		}
	}
	return s
}

// reason is the outcome a user reads: the ebMS code or kvittens reason, and its detail.
func reason(o *msh.Outbound) string {
	if o.Detail == "" {
		return o.Reason
	}
	return o.Reason + " " + o.Detail
}

func (a *api) Sent(ctx context.Context, tenant, id string) (sdkapi.Sent, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return sdkapi.Sent{}, err
	}
	o, err := e.Outbound(ctx, tenant, id)
	if err != nil {
		return sdkapi.Sent{}, mapErr(err)
	}
	return sent(o), nil
}

func (a *api) ListSent(ctx context.Context, tenant string, f sdkapi.Filter) (sdkapi.SentPage, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return sdkapi.SentPage{}, err
	}
	l, err := e.ListOutbound(ctx, tenant, msh.OutboundFilter{State: msh.State(f.Status), Cursor: f.Cursor, Limit: f.Limit})
	if err != nil {
		return sdkapi.SentPage{}, mapErr(err)
	}
	p := sdkapi.SentPage{Next: l.Next}
	for _, o := range l.Items {
		// The engine filters by state; the function address is filtered on the page
		// (a page may come back shorter than its limit).
		if f.RecipientFunction != "" && o.FunctionAddress != f.RecipientFunction {
			continue
		}
		p.Items = append(p.Items, sent(o))
	}
	return p, nil
}

func (a *api) DeleteSent(ctx context.Context, tenant, id string) error {
	e, err := a.engine(tenant)
	if err != nil {
		return err
	}
	return mapErr(e.DeleteOutbound(ctx, tenant, id))
}

func mail(m *msh.Mail) sdkapi.Mail {
	return sdkapi.Mail{MessageID: m.MessageID, FunctionAddress: m.FunctionAddress, ConversationID: m.ConversationID,
		Sender: m.Sender, Recipient: m.Recipient, Label: m.Label, Confidential: m.Confidential, Sealed: m.Sealed,
		ContentType: m.ContentType, DeliveredAt: m.DeliveredAt, ReadAt: m.ReadAt, Body: m.Body}
}

// mailbox checks that address is one of the tenant's function addresses.
func (a *api) mailbox(tenant, address string) error {
	for _, fa := range a.tenants[tenant].FunctionAddresses {
		if fa.ID == address {
			return nil
		}
	}
	return fmt.Errorf("localsys: tenant %s has no function address %q: %w", tenant, address, sdkapi.ErrNotFound)
}

func (a *api) ListMail(ctx context.Context, tenant, address, cursor string, limit int) (sdkapi.MailPage, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return sdkapi.MailPage{}, err
	}
	if err := a.mailbox(tenant, address); err != nil {
		return sdkapi.MailPage{}, err
	}
	l, err := e.ListMail(ctx, tenant, address, msh.MailFilter{Cursor: cursor, Limit: limit})
	if err != nil {
		return sdkapi.MailPage{}, mapErr(err)
	}
	p := sdkapi.MailPage{Next: l.Next}
	for _, m := range l.Items {
		p.Items = append(p.Items, mail(m))
	}
	return p, nil
}

func (a *api) GetMail(ctx context.Context, tenant, address, id string) (sdkapi.Mail, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return sdkapi.Mail{}, err
	}
	m, err := e.GetMail(ctx, tenant, address, id)
	if err != nil {
		return sdkapi.Mail{}, mapErr(err)
	}
	return mail(m), nil
}

func (a *api) MarkRead(ctx context.Context, tenant, address, id string) (sdkapi.Mail, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return sdkapi.Mail{}, err
	}
	m, err := e.MarkRead(ctx, tenant, address, id)
	if err != nil {
		return sdkapi.Mail{}, mapErr(err)
	}
	return mail(m), nil
}
