package awssys

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/brevduva/brevduva/core/oauth"

	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/sdkapi"
)

// api adapts the engine to sdkapi.Service (as internal/localsys does, for one tenant: a
// function serves one tenant, and a token of another tenant finds nothing).
type api struct {
	engines map[string]*msh.Engine
	tenants map[string]msh.TenantConfig
}

var _ sdkapi.Service = (*api)(nil)

// NewSDKService is the SDK API service of tenant t on engine e.
func NewSDKService(e *msh.Engine, t msh.TenantConfig) sdkapi.Service {
	return &api{engines: map[string]*msh.Engine{t.ID: e}, tenants: map[string]msh.TenantConfig{t.ID: t}}
}

func (a *api) engine(tenant string) (*msh.Engine, error) {
	e, ok := a.engines[tenant]
	if !ok {
		return nil, fmt.Errorf("awssys: tenant %q: %w", tenant, sdkapi.ErrNotFound)
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
		return "", fmt.Errorf("awssys: tenant %q: %w", tenant, sdkapi.ErrNotFound)
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
		if fa == address {
			return nil
		}
	}
	return fmt.Errorf("awssys: tenant %s has no function address %q: %w", tenant, address, sdkapi.ErrNotFound)
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

// DefaultSDKAPIBasePath is where the SDK API is served unless BREVDUVA_SDK_API_BASE_PATH
// says otherwise (DIGG's guide: https://open-test.digg.se/sdk-api/v1/).
const DefaultSDKAPIBasePath = "/sdk-api/v1"

// Verifier is the access-token check of the SDK API from the environment: tokens are
// EdDSA JWTs with iss = BREVDUVA_OAUTH_ISSUER, signed by the key whose public half is
// BREVDUVA_OAUTH_PUBLIC_KEY (standard base64 of the 32-byte Ed25519 key) — core/oauth's
// tokens. An external OIDC issuer with RSA keys and JWKS discovery is not supported yet.
func Verifier(env Env) (*oauth.Verifier, error) {
	var errs []error
	v := env.need(&errs, EnvOAuthIssuer, EnvOAuthPublicKey)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	k, err := base64.StdEncoding.DecodeString(v[EnvOAuthPublicKey])
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("awssys: %s: want base64 of a %d-byte Ed25519 public key", EnvOAuthPublicKey, ed25519.PublicKeySize)
	}
	return &oauth.Verifier{Key: ed25519.PublicKey(k), Issuer: v[EnvOAuthIssuer], Now: time.Now, Leeway: 30 * time.Second}, nil
}

// NewSDKAPIHandler is the SDK API of the system's tenant behind auth.
func NewSDKAPIHandler(env Env, sys *System, auth sdkapi.Authenticator) (http.Handler, error) {
	base := env.get(EnvSDKAPIBasePath)
	if base == "" {
		base = DefaultSDKAPIBasePath
	}
	h, err := sdkapi.NewHandler(sdkapi.Options{Service: NewSDKService(sys.Engine, sys.Tenant), Auth: auth,
		BasePath: base, Now: time.Now, Logger: sys.Logger})
	if err != nil {
		return nil, fmt.Errorf("awssys: %w", err)
	}
	return h, nil
}
