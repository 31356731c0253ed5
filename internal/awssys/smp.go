package awssys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
	"github.com/brevduva/brevduva/infra/aws/kmskeys"
	"github.com/brevduva/brevduva/internal/demopki"
)

// NewSMPHandler is the SMP (core/smp.Server, SMP1 with CertPub) on the DynamoDB
// registration store (dynamo.SMPStore in BREVDUVA_TABLE), signing with BREVDUVA_SMP_KEY
// (kms:ID or file:PATH) and the chain BREVDUVA_SMP_CERT, served below the path of
// BREVDUVA_SMP_BASE_URL, its write API behind BREVDUVA_SMP_ADMIN_TOKEN.
func NewSMPHandler(ctx context.Context, env Env, c *Clients) (http.Handler, error) {
	table := env.get(EnvTable)
	if table == "" {
		return nil, fmt.Errorf("%w: %s", ErrMissing, EnvTable)
	}
	return NewSMPHandlerOn(ctx, env, dynamo.NewSMPStore(c.DynamoDB, table), c)
}

// NewSMPHandlerOn is NewSMPHandler on another store; c may be nil with a file: key.
func NewSMPHandlerOn(ctx context.Context, env Env, store smp.Store, c *Clients) (http.Handler, error) {
	var errs []error
	v := env.need(&errs, EnvSMPBaseURL, EnvSMPKey, EnvSMPCert, EnvSMPAdminToken)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	base, err := url.Parse(v[EnvSMPBaseURL])
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("awssys: %s: want an absolute URL", EnvSMPBaseURL)
	}
	key, err := loadSigner(ctx, c, EnvSMPKey, v[EnvSMPKey])
	if err != nil {
		return nil, err
	}
	chain, err := loadCerts(EnvSMPCert, v[EnvSMPCert])
	if err != nil {
		return nil, err
	}
	h, err := smp.NewServer(smp.ServerOptions{Store: store, BaseURL: base,
		AdminToken: v[EnvSMPAdminToken], Signer: smp.Signer{Key: key, Chain: chain}})
	if err != nil {
		return nil, fmt.Errorf("awssys: smp: %w", err)
	}
	return h, nil
}

// loadSigner opens a signing key only: "kms:ID" or "file:PATH".
func loadSigner(ctx context.Context, c *Clients, name, spec string) (crypto.Signer, error) {
	kind, ref, _ := strings.Cut(spec, ":")
	switch kind {
	case "kms":
		if c == nil {
			return nil, fmt.Errorf("awssys: %s: kms key without AWS clients", name)
		}
		s, err := kmskeys.NewSigner(ctx, c.KMS, ref)
		if err != nil {
			return nil, fmt.Errorf("awssys: %s: %w", name, err)
		}
		return s, nil
	case "file":
		k, err := demopki.LoadKey(ref)
		if err != nil {
			return nil, fmt.Errorf("awssys: %s: %w", name, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("awssys: %s: want kms:ID or file:PATH", name)
}
