package sdkapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/msh"
)

// NewEngineService adapts access point engines (core/msh) to Service: engines maps a
// tenant id to the engine that serves it (one engine may serve several tenants, or each
// tenant may have its own, e.g. for its own mutual TLS client certificate). A tenant id
// selects its engine and nothing else; the tenant's participant and function addresses
// come from the engine's TenantConfig.
func NewEngineService(engines map[string]*msh.Engine) Service {
	m := make(map[string]*msh.Engine, len(engines))
	for k, v := range engines {
		m[k] = v
	}
	return &engineService{engines: m}
}

type engineService struct {
	engines map[string]*msh.Engine
}

var _ Service = (*engineService)(nil)

func (a *engineService) engine(tenant string) (*msh.Engine, error) {
	e, ok := a.engines[tenant]
	if !ok {
		return nil, fmt.Errorf("sdkapi: tenant %q: %w", tenant, ErrNotFound)
	}
	return e, nil
}

// mapErr translates the engine's sentinels into the API's.
func mapErr(err error) error {
	var to error
	switch {
	case errors.Is(err, msh.ErrNotFound), errors.Is(err, msh.ErrUnknownTenant):
		to = ErrNotFound
	case errors.Is(err, msh.ErrDuplicate):
		to = ErrDuplicate
	case errors.Is(err, msh.ErrNotDeletable), errors.Is(err, msh.ErrConflict):
		to = ErrNotDeletable
	case errors.Is(err, discovery.ErrUntrusted), errors.Is(err, discovery.ErrBadSignature):
		to = ErrRecipientUntrusted
	case errors.Is(err, msh.ErrRecipientNotFound), errors.Is(err, discovery.ErrNotFound), errors.Is(err, discovery.ErrNoEndpoint):
		to = ErrRecipientNotFound
	case errors.Is(err, msh.ErrInvalid):
		to = ErrInvalid
	case errors.Is(err, msh.ErrNotImplemented):
		to = ErrNotSupported
	default:
		return err
	}
	return fmt.Errorf("%w: %w", to, err)
}

func (a *engineService) Participant(_ context.Context, tenant string) (string, error) {
	t, err := a.config(tenant)
	if err != nil {
		return "", err
	}
	return t.Participant, nil
}

// config is the tenant's configuration as its engine holds it.
func (a *engineService) config(tenant string) (msh.TenantConfig, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return msh.TenantConfig{}, err
	}
	t, err := e.Tenant(tenant)
	if err != nil {
		return msh.TenantConfig{}, mapErr(err)
	}
	return t, nil
}

func (a *engineService) Send(ctx context.Context, tenant string, s Submission) (Sent, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return Sent{}, err
	}
	o, err := e.Submit(ctx, tenant, msh.Submission{XHE: s.XHE, Message: s.Message})
	if err != nil {
		return Sent{}, mapErr(err)
	}
	return sent(o), nil
}

func sent(o *msh.Outbound) Sent {
	s := Sent{MessageID: o.MessageID, ConversationID: o.ConversationID, RefToMessageID: o.RefToMessageID,
		Sender: o.Sender, Recipient: o.Recipient, FunctionAddress: o.FunctionAddress, Label: o.Label,
		Status: string(o.State), CreatedAt: o.CreatedAt}
	for _, ev := range o.History {
		s.Events = append(s.Events, SentEvent{Status: string(ev.State), At: ev.At, Reason: ev.Reason})
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

func (a *engineService) Sent(ctx context.Context, tenant, id string) (Sent, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return Sent{}, err
	}
	o, err := e.Outbound(ctx, tenant, id)
	if err != nil {
		return Sent{}, mapErr(err)
	}
	return sent(o), nil
}

func (a *engineService) ListSent(ctx context.Context, tenant string, f Filter) (SentPage, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return SentPage{}, err
	}
	l, err := e.ListOutbound(ctx, tenant, msh.OutboundFilter{State: msh.State(f.Status), Cursor: f.Cursor, Limit: f.Limit})
	if err != nil {
		return SentPage{}, mapErr(err)
	}
	p := SentPage{Next: l.Next}
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

func (a *engineService) DeleteSent(ctx context.Context, tenant, id string) error {
	e, err := a.engine(tenant)
	if err != nil {
		return err
	}
	return mapErr(e.DeleteOutbound(ctx, tenant, id))
}

func mail(m *msh.Mail) Mail {
	return Mail{MessageID: m.MessageID, FunctionAddress: m.FunctionAddress, ConversationID: m.ConversationID,
		Sender: m.Sender, Recipient: m.Recipient, Label: m.Label, Confidential: m.Confidential, Sealed: m.Sealed,
		ContentType: m.ContentType, DeliveredAt: m.DeliveredAt, ReadAt: m.ReadAt, Body: m.Body}
}

// mailbox checks that address is one of the tenant's function addresses.
func (a *engineService) mailbox(tenant, address string) error {
	t, err := a.config(tenant)
	if err != nil {
		return err
	}
	for _, fa := range t.FunctionAddresses {
		if fa == address {
			return nil
		}
	}
	return fmt.Errorf("sdkapi: tenant %s has no function address %q: %w", tenant, address, ErrNotFound)
}

func (a *engineService) ListMail(ctx context.Context, tenant, address, cursor string, limit int) (MailPage, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return MailPage{}, err
	}
	if err := a.mailbox(tenant, address); err != nil {
		return MailPage{}, err
	}
	l, err := e.ListMail(ctx, tenant, address, msh.MailFilter{Cursor: cursor, Limit: limit})
	if err != nil {
		return MailPage{}, mapErr(err)
	}
	p := MailPage{Next: l.Next}
	for _, m := range l.Items {
		p.Items = append(p.Items, mail(m))
	}
	return p, nil
}

func (a *engineService) GetMail(ctx context.Context, tenant, address, id string) (Mail, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return Mail{}, err
	}
	m, err := e.GetMail(ctx, tenant, address, id)
	if err != nil {
		return Mail{}, mapErr(err)
	}
	return mail(m), nil
}

func (a *engineService) MarkRead(ctx context.Context, tenant, address, id string) (Mail, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return Mail{}, err
	}
	m, err := e.MarkRead(ctx, tenant, address, id)
	if err != nil {
		return Mail{}, mapErr(err)
	}
	return mail(m), nil
}
