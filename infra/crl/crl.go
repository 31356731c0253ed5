// Package crl fetches certificate revocation lists (RFC 5280 §5) over HTTP from
// configured URLs and hands them to core/trust as its trust.CRLSource port.
//
// DIGG publishes a CRL per AP CA (spec-facts §j: e.g. https://ca.edelivery.digg.se/crl/aprot.crl);
// a deployment lists those URLs in its configuration. Each CRL is fetched on first use
// and kept until its nextUpdate (RFC 5280 §5.1.2.5), then fetched again. Fetches are
// bounded (Options.Timeout, Options.MaxBytes) and a failed fetch is not retried before
// Options.RetryAfter.
//
// Policy (fail closed, see core/trust): a URL that has never answered with a CRL
// makes the revocation status undetermined (RFC 5280 §6.3.3), so CRLs returns an
// error and core/trust refuses every certificate; when a refresh fails, the last CRL
// is still returned, and core/trust refuses the certificates of its issuer once its
// nextUpdate has passed. Each failure is logged as a warning. The package checks no
// signature: core/trust verifies every CRL against the issuer of the chain it checks.
package crl

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/brevduva/brevduva/core/trust"
)

// Defaults of Options.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultMaxBytes   = 16 << 20
	DefaultRetryAfter = 30 * time.Second
)

// pemType is the PEM label of a CRL (RFC 7468 §6).
const pemType = "X509 CRL"

// Options configure a Fetcher.
type Options struct {
	URLs       []string
	Client     *http.Client  // nil: http.DefaultClient's transport
	Timeout    time.Duration // per fetch; default DefaultTimeout
	MaxBytes   int64         // per CRL; default DefaultMaxBytes
	RetryAfter time.Duration // after a failed fetch; default DefaultRetryAfter
	Logger     *slog.Logger  // nil: discard
}

// Fetcher is a trust.CRLSource over HTTP. It is safe for concurrent use.
type Fetcher struct {
	o       Options
	mu      sync.Mutex
	entries []*entry
}

type entry struct {
	url     string
	crl     *x509.RevocationList
	failed  time.Time // last failed fetch
	lastErr error
}

var _ trust.CRLSource = (*Fetcher)(nil)

// New returns a Fetcher for o.URLs; it fetches nothing until CRLs is called.
func New(o Options) (*Fetcher, error) {
	if len(o.URLs) == 0 {
		return nil, errors.New("crl: no URLs")
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Fetcher{o: o}
	for _, u := range o.URLs {
		f.entries = append(f.entries, &entry{url: u})
	}
	return f, nil
}

// CRLs returns the CRL of every URL, fetching those not yet fetched or past their
// nextUpdate. It fails when some URL has never answered with a CRL.
func (f *Fetcher) CRLs(now time.Time) ([]*x509.RevocationList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*x509.RevocationList, 0, len(f.entries))
	var errs []error
	for _, e := range f.entries {
		f.refresh(e, now)
		if e.crl == nil {
			errs = append(errs, fmt.Errorf("crl: %s: no CRL yet: %w", e.url, e.lastErr))
			continue
		}
		out = append(out, e.crl)
	}
	return out, errors.Join(errs...)
}

// due reports whether e needs a fetch at now.
func (f *Fetcher) due(e *entry, now time.Time) bool {
	if !e.failed.IsZero() && now.Sub(e.failed) < f.o.RetryAfter {
		return false
	}
	return e.crl == nil || e.crl.NextUpdate.IsZero() || !now.Before(e.crl.NextUpdate)
}

func (f *Fetcher) refresh(e *entry, now time.Time) {
	if !f.due(e, now) {
		return
	}
	crl, err := f.fetch(e.url)
	if err == nil && e.crl != nil && crl.Number != nil && e.crl.Number != nil && crl.Number.Cmp(e.crl.Number) < 0 {
		err = fmt.Errorf("crl: %s: CRL number %s older than the cached %s (RFC 5280 §5.2.3)", e.url, crl.Number, e.crl.Number)
	}
	if err != nil {
		e.failed, e.lastErr = now, err
		f.o.Logger.Warn("crl fetch failed; keeping the last CRL (refused once past its nextUpdate)",
			"url", e.url, "cached", e.crl != nil, "err", err.Error())
		return
	}
	e.crl, e.failed, e.lastErr = crl, time.Time{}, nil
}

// fetch GETs one CRL (DER, or PEM "X509 CRL") and parses it.
func (f *Fetcher) fetch(url string) (*x509.RevocationList, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("crl: %s: %w", url, err)
	}
	resp, err := f.o.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("crl: %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("crl: %s: HTTP %d", url, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, f.o.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("crl: %s: %w", url, err)
	}
	if int64(len(b)) > f.o.MaxBytes {
		return nil, fmt.Errorf("crl: %s: larger than %d bytes", url, f.o.MaxBytes)
	}
	crl, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("crl: %s: %w", url, err)
	}
	return crl, nil
}

// Parse reads one CRL, DER or PEM ("X509 CRL"). It checks no signature.
func Parse(b []byte) (*x509.RevocationList, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != pemType {
			return nil, fmt.Errorf("crl: PEM block %q, want %q", blk.Type, pemType)
		}
		b = blk.Bytes
	}
	crl, err := x509.ParseRevocationList(b)
	if err != nil {
		return nil, fmt.Errorf("crl: %w", err)
	}
	return crl, nil
}
