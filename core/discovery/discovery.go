// Package discovery composes eDelivery dynamic discovery for Säker digital
// kommunikation (shared/design/spec-facts.md §f): participant → SML DNS name and
// record (core/bdxl, OASIS BDXL 1.0 or the PEPPOL CNAME form) → SMP base URL →
// verified SignedServiceMetadata (core/smp, OASIS SMP 1.0 §3.6) → the AS4 endpoint URL
// and AP certificate for the transport profile, and the recipient organisation's O2O
// certificates from DIGG's CertPub extension (core/certpub).
//
// Errors say what failed: ErrNotFound (no such participant in the DNS or the SMP, or
// no such document type), ErrBadSignature (SMP signature or SMP certificate chain),
// ErrNoEndpoint (no endpoint for the document type and transport profile),
// ErrUntrusted (the AP certificate does not chain to the AP CA). Each wraps the cause
// from core/bdxl or core/smp as well.
package discovery

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/smp"
)

// Sentinels.
var (
	ErrNotFound     = errors.New("discovery: not found")
	ErrBadSignature = errors.New("discovery: bad signature")
	ErrNoEndpoint   = errors.New("discovery: no endpoint for document type")
	ErrUntrusted    = errors.New("discovery: untrusted AP certificate")
)

// Options configure a Discovery.
type Options struct {
	Locator bdxl.Locator
	SMP     *smp.Client
	Now     func() time.Time
	// TransportProfile selects the endpoint; "" = smp.TransportProfileSDK (spec-facts §k 3).
	TransportProfile smp.TransportProfile
	// Process restricts the process; the zero value accepts any.
	Process smp.Identifier
	// APRoots, when set, are the environment's AP CAs (spec-facts §j); the endpoint
	// certificate must chain to them at Now.
	APRoots *x509.CertPool
	// DNSTTL and DNSNegativeTTL cache SML answers; defaults 15 min and 1 min.
	DNSTTL, DNSNegativeTTL time.Duration
}

// Discovery looks participants up. It is safe for concurrent use.
type Discovery struct {
	opt Options
	dns *smp.Cache[*url.URL]
}

// New checks o and returns a Discovery.
func New(o Options) (*Discovery, error) {
	if o.SMP == nil || o.Now == nil || o.Locator.Resolver == nil {
		return nil, fmt.Errorf("discovery: options need SMP, Now and Locator.Resolver")
	}
	if o.TransportProfile == "" {
		o.TransportProfile = smp.TransportProfileSDK
	}
	if o.DNSTTL <= 0 {
		o.DNSTTL = 15 * time.Minute
	}
	if o.DNSNegativeTTL <= 0 {
		o.DNSNegativeTTL = time.Minute
	}
	return &Discovery{opt: o, dns: smp.NewCache[*url.URL](o.Now, 0)}, nil
}

// Result is what a sender needs to reach a participant for one document type.
type Result struct {
	Participant      smp.Identifier
	Document         smp.Identifier
	DNSName          string
	SMPURL           *url.URL
	TransportProfile smp.TransportProfile
	EndpointURL      string
	Endpoint         smp.Endpoint
	APCertificate    *x509.Certificate
	SMPSigner        *x509.Certificate
	// O2O holds the CertPub certificates; empty when the SMP publishes none (then
	// O2OErr wraps smp.ErrNotFound) or they are malformed (O2OErr says why).
	O2O    []certpub.Certificate
	O2OErr error
}

// SMPURL resolves the participant's SMP through the SML, with caching.
func (d *Discovery) SMPURL(ctx context.Context, participant smp.Identifier) (*url.URL, string, error) {
	name, err := d.opt.Locator.Config.Name(participant.Scheme, participant.Value)
	if err != nil {
		return nil, "", fmt.Errorf("discovery: %w", err)
	}
	if u, err, ok := d.dns.Get(name); ok {
		return u, name, err
	}
	u, err := d.opt.Locator.SMPURL(ctx, participant.Scheme, participant.Value)
	switch {
	case err == nil:
		d.dns.Put(name, u, nil, d.opt.DNSTTL)
	case errors.Is(err, bdxl.ErrNotFound):
		err = fmt.Errorf("discovery: participant %s: %w: %w", participant, ErrNotFound, err)
		d.dns.Put(name, nil, err, d.opt.DNSNegativeTTL)
	default:
		err = fmt.Errorf("discovery: participant %s: %w", participant, err)
	}
	return u, name, err
}

// Lookup resolves participant and document to an endpoint and certificates.
func (d *Discovery) Lookup(ctx context.Context, participant, document smp.Identifier) (*Result, error) {
	base, name, err := d.SMPURL(ctx, participant)
	if err != nil {
		return nil, err
	}
	sm, err := d.opt.SMP.ServiceMetadata(ctx, base, participant, document)
	if err != nil {
		switch {
		case errors.Is(err, smp.ErrNotFound):
			return nil, fmt.Errorf("discovery: %s / %s: %w: %w", participant, document, ErrNotFound, err)
		case errors.Is(err, smp.ErrBadSignature):
			return nil, fmt.Errorf("discovery: %s: %w: %w", base, ErrBadSignature, err)
		}
		return nil, fmt.Errorf("discovery: %s: %w", base, err)
	}
	si := sm.Metadata.Information
	now := d.opt.Now()
	ep, err := si.Endpoint(d.opt.Process, d.opt.TransportProfile, now)
	if err != nil {
		return nil, fmt.Errorf("discovery: %s / %s: %w: %w", participant, document, ErrNoEndpoint, err)
	}
	cert, err := ep.Certificate()
	if err != nil {
		return nil, fmt.Errorf("discovery: %s: %w", participant, err)
	}
	if d.opt.APRoots != nil {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: d.opt.APRoots, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			return nil, fmt.Errorf("discovery: %s: AP certificate %q: %w: %w", participant, cert.Subject, ErrUntrusted, err)
		}
	}
	r := &Result{
		Participant: si.Participant, Document: si.Document, DNSName: name, SMPURL: base,
		TransportProfile: ep.TransportProfile, EndpointURL: ep.URI, Endpoint: *ep,
		APCertificate: cert, SMPSigner: sm.Signer,
	}
	r.O2O, r.O2OErr = si.CertPub()
	return r, nil
}
