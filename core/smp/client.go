package smp

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/brevduva/brevduva/core/certpub"
)

// Doer sends HTTP requests; *http.Client fits (also in the browser, where net/http
// uses fetch).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// ClientOptions configure a Client. Zero durations take the defaults.
type ClientOptions struct {
	Verify      VerifyOptions // trust and clock; Verify.Now is also the cache clock
	Timeout     time.Duration // per request; default 10 s
	TTL         time.Duration // cache lifetime of good answers; default 15 min
	NegativeTTL time.Duration // cache lifetime of ErrNotFound; default 1 min
	MaxEntries  int           // cache bound; default 4096
}

// Client fetches and verifies SMP documents, caching answers and not-found results.
type Client struct {
	http Doer
	opt  ClientOptions
	sg   *Cache[*ServiceGroup]
	sm   *Cache[*SignedMetadata]
}

// MaxResponse caps an SMP response body.
const MaxResponse = 1 << 20

// NewClient returns a Client over h.
func NewClient(h Doer, o ClientOptions) (*Client, error) {
	if h == nil || o.Verify.Roots == nil || o.Verify.Now == nil {
		return nil, fmt.Errorf("%w: client needs an HTTP doer, Verify.Roots and Verify.Now", ErrInvalid)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.TTL <= 0 {
		o.TTL = 15 * time.Minute
	}
	if o.NegativeTTL <= 0 {
		o.NegativeTTL = time.Minute
	}
	return &Client{http: h, opt: o,
		sg: NewCache[*ServiceGroup](o.Verify.Now, o.MaxEntries),
		sm: NewCache[*SignedMetadata](o.Verify.Now, o.MaxEntries)}, nil
}

func (c *Client) ttl(err error) time.Duration {
	switch {
	case err == nil:
		return c.opt.TTL
	case errors.Is(err, ErrNotFound):
		return c.opt.NegativeTTL
	}
	return 0
}

// ServiceGroup fetches GET {base}/{participant} (SMP1 §3.4). ServiceGroup is not
// signed in SMP 1.0; callers rely on the signed metadata.
func (c *Client) ServiceGroup(ctx context.Context, base *url.URL, participant Identifier) (*ServiceGroup, error) {
	u, err := ServiceGroupURL(base, participant)
	if err != nil {
		return nil, err
	}
	if v, err, ok := c.sg.Get(u); ok {
		return v, err
	}
	sg, err := c.serviceGroup(ctx, u, participant)
	c.sg.Put(u, sg, err, c.ttl(err))
	return sg, err
}

func (c *Client) serviceGroup(ctx context.Context, u string, participant Identifier) (*ServiceGroup, error) {
	b, err := c.get(ctx, u)
	if err != nil {
		return nil, err
	}
	sg, err := ParseServiceGroup(b)
	if err != nil {
		return nil, fmt.Errorf("smp: %s: %w", u, err)
	}
	if sg.Participant.Key() != participant.Key() { // SMP TAD: XML id = URL id
		return nil, fmt.Errorf("%w: %s answered for participant %s", ErrSyntax, u, sg.Participant)
	}
	return sg, nil
}

// ServiceMetadata fetches and verifies GET {base}/{participant}/services/{document}
// (SMP1 §3.4, §3.6.2), following one Redirect (SMP TAD: no double redirect) whose
// target must be signed by the certificate the Redirect names.
func (c *Client) ServiceMetadata(ctx context.Context, base *url.URL, participant, document Identifier) (*SignedMetadata, error) {
	u, err := ServiceMetadataURL(base, participant, document)
	if err != nil {
		return nil, err
	}
	if v, err, ok := c.sm.Get(u); ok {
		return v, err
	}
	sm, err := c.serviceMetadata(ctx, u, participant, document)
	c.sm.Put(u, sm, err, c.ttl(err))
	return sm, err
}

func (c *Client) serviceMetadata(ctx context.Context, u string, participant, document Identifier) (*SignedMetadata, error) {
	sm, err := c.fetchSigned(ctx, u)
	if err != nil {
		return nil, err
	}
	if r := sm.Metadata.Redirect; r != nil {
		target, err := url.Parse(r.Href)
		if err != nil || (target.Scheme != "http" && target.Scheme != "https") {
			return nil, fmt.Errorf("%w: redirect href %q", ErrSyntax, r.Href)
		}
		sm, err = c.fetchSigned(ctx, target.String())
		if err != nil {
			return nil, fmt.Errorf("smp: redirect: %w", err)
		}
		if sm.Metadata.Redirect != nil {
			return nil, fmt.Errorf("%w: redirect to a redirect", ErrSyntax)
		}
		if !certificateUIDMatches(sm.Signer, r.CertificateUID) {
			return nil, fmt.Errorf("%w: redirect target signed by %q, not CertificateUID %q", ErrBadSignature, sm.Signer.Subject, r.CertificateUID)
		}
	}
	si := sm.Metadata.Information
	if si.Participant.Key() != participant.Key() || si.Document.Key() != document.Key() {
		return nil, fmt.Errorf("%w: %s answered for %s / %s", ErrSyntax, u, si.Participant, si.Document)
	}
	return sm, nil
}

func (c *Client) fetchSigned(ctx context.Context, u string) (*SignedMetadata, error) {
	b, err := c.get(ctx, u)
	if err != nil {
		return nil, err
	}
	sm, err := VerifySigned(b, c.opt.Verify)
	if err != nil {
		return nil, fmt.Errorf("smp: %s: %w", u, err)
	}
	return sm, nil
}

// certificateUIDMatches compares the Redirect's CertificateUID (SMP1 §3.6.2.1, the "Subject
// Unique Identifier" of the target SMP's certificate) with the subject DN, its serialNumber
// or its userid attribute (RFC 4519 §2.39), the forms SMP deployments use.
func certificateUIDMatches(c *x509.Certificate, uid string) bool {
	if uid == "" {
		return false
	}
	if c.Subject.String() == uid || c.Subject.SerialNumber == uid {
		return true
	}
	userid := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	for _, n := range c.Subject.Names {
		if n.Type.Equal(userid) {
			if s, ok := n.Value.(string); ok && s == uid {
				return true
			}
		}
	}
	return false
}

func (c *Client) get(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("smp: %w: %w", ErrInvalid, err)
	}
	req.Header.Set("Accept", "text/xml, application/xml")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("smp: get %s: %w", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("smp: get %s: %w", u, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("smp: get %s: %w", u, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("smp: get %s: HTTP %d", u, resp.StatusCode)
	case len(b) > MaxResponse:
		return nil, fmt.Errorf("smp: get %s: response larger than %d", u, MaxResponse)
	}
	return b, nil
}

// CertPub returns the O2O certificates of the CertPub extension of si (core/certpub),
// or an error wrapping ErrNotFound when there is none.
func (si *ServiceInformation) CertPub() ([]certpub.Certificate, error) {
	for _, x := range si.Extensions {
		if certpub.Is(x.ID, x.Content) {
			certs, err := certpub.Parse(x.Content)
			if err != nil {
				return nil, fmt.Errorf("smp: certpub: %w", err)
			}
			return certs, nil
		}
	}
	return nil, fmt.Errorf("smp: certpub extension: %w", ErrNotFound)
}
