//go:build js && wasm

package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/syumai/workers/cloudflare/cache"
	"github.com/syumai/workers/cloudflare/fetch"

	"github.com/brevduva/brevduva/edge/byref"
	"github.com/brevduva/brevduva/edge/front"
)

// cfCache is front.Cache over the Workers Cache API (caches.default): put honours the
// response's Cache-Control (s-maxage, max-age) for the lifetime.
type cfCache struct{}

func (cfCache) Match(ctx context.Context, key string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, key, nil)
	if err != nil {
		return nil, err
	}
	resp, err := cache.New().Match(req, nil)
	if errors.Is(err, cache.ErrCacheNotFound) {
		return nil, front.ErrMiss
	}
	return resp, err
}

func (cfCache) Put(ctx context.Context, key string, resp *http.Response) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, key, nil)
	if err != nil {
		return err
	}
	return cache.New().Put(req, resp)
}

// clientCert reads request.cf.tlsClientAuth, which Cloudflare fills when the zone's mTLS
// (API Shield) asks the client for a certificate: certVerified "SUCCESS" means the chain
// was verified against the zone's uploaded CA.
func clientCert(r *http.Request) *byref.ClientCert {
	p, err := fetch.NewIncomingProperties(r.Context())
	if err != nil || p.TLSClientAuth == nil || p.TLSClientAuth.CertPresented != "1" {
		return nil
	}
	a := p.TLSClientAuth
	return &byref.ClientCert{Verified: a.CertVerified == "SUCCESS", FingerprintSHA256: a.CertFingerprintSHA256,
		SubjectDN: a.CertSubjectDNRFC2253, IssuerDN: a.CertIssuerDNRFC2253, Serial: a.CertSerial}
}
