package msh

import (
	"context"
	"io"
)

type tenant struct {
	cfg TenantConfig
}

func newEngine(o EngineOptions) (*Engine, error) {
	return nil, ErrNotImplemented
}

func (e *Engine) receive(ctx context.Context, tenant string, contentType string, body io.Reader) (AS4Response, error) {
	return AS4Response{}, ErrNotImplemented
}

func (e *Engine) submit(ctx context.Context, tenant string, s Submission) (*Outbound, error) {
	return nil, ErrNotImplemented
}

func (e *Engine) outbound(ctx context.Context, tenant, messageID string) (*Outbound, error) {
	return nil, ErrNotImplemented
}

func (e *Engine) listOutbound(ctx context.Context, tenant string, f OutboundFilter) (OutboundList, error) {
	return OutboundList{}, ErrNotImplemented
}

func (e *Engine) deleteOutbound(ctx context.Context, tenant, messageID string) error {
	return ErrNotImplemented
}

func (e *Engine) listMail(ctx context.Context, tenant, address string, f MailFilter) (MailList, error) {
	return MailList{}, ErrNotImplemented
}

func (e *Engine) getMail(ctx context.Context, tenant, address, messageID string) (*Mail, error) {
	return nil, ErrNotImplemented
}

func (e *Engine) markRead(ctx context.Context, tenant, address, messageID string) (*Mail, error) {
	return nil, ErrNotImplemented
}

func (e *Engine) runOnce(ctx context.Context, tenant string) (bool, error) {
	return false, ErrNotImplemented
}

func (e *Engine) run(ctx context.Context) error {
	return ErrNotImplemented
}
