package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Defaults of a Transport.
const (
	DefaultTimeout     = 2 * time.Minute // one whole exchange, body upload included
	DefaultMaxResponse = 1 << 20         // a receipt or an error signal is a few kB
)

// ErrResponseTooLarge is returned when a peer's answer exceeds MaxResponse.
var ErrResponseTooLarge = errors.New("httpx: response too large")

// TransportOptions configure NewTransport.
type TransportOptions struct {
	Cert  tls.Certificate // this AP's TLS client certificate
	Roots *x509.CertPool  // CAs of peer server certificates
	// Timeout bounds one exchange (0: DefaultTimeout); MaxResponse caps the answer
	// (0: DefaultMaxResponse).
	Timeout     time.Duration
	MaxResponse int64
	// DialContext, when set, replaces the dialer (for example to reach names that only
	// the local DNS knows).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLS narrows the TLS version and suites (zero: the defaults).
	TLS TLSPolicy
}

// Transport posts AS4 messages to peer access points over mutual TLS. It satisfies
// core/msh.Transport and is safe for concurrent use.
type Transport struct {
	client      *http.Client
	maxResponse int64
}

// NewTransport returns a Transport.
func NewTransport(o TransportOptions) (*Transport, error) {
	cfg, err := ClientTLS(o.Cert, o.Roots)
	if err != nil {
		return nil, err
	}
	o.TLS.Apply(cfg)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResponse <= 0 {
		o.MaxResponse = DefaultMaxResponse
	}
	dial := o.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	tr := &http.Transport{
		TLSClientConfig:       cfg,
		DialContext:           dial,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
	return &Transport{
		client: &http.Client{Transport: tr, Timeout: o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		maxResponse: o.MaxResponse,
	}, nil
}

// Post sends body to endpointURL and returns the peer's answer whatever its HTTP
// status; an error means no usable answer (connection, TLS, timeout, size).
func (t *Transport) Post(ctx context.Context, endpointURL, contentType string, body io.Reader) (string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpointURL, body)
	if err != nil {
		return "", nil, fmt.Errorf("httpx: post: %w", err)
	}
	if req.URL.Scheme != "https" {
		return "", nil, fmt.Errorf("httpx: post: endpoint %q is not https", req.URL.Redacted())
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := t.client.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("httpx: post: %w", err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(resp.Body, t.maxResponse+1))
	if err != nil {
		return "", nil, fmt.Errorf("httpx: read response: %w", err)
	}
	if n > t.maxResponse {
		return "", nil, fmt.Errorf("httpx: read response: %w", ErrResponseTooLarge)
	}
	return resp.Header.Get("Content-Type"), buf.Bytes(), nil
}

// CloseIdle closes idle connections.
func (t *Transport) CloseIdle() { t.client.CloseIdleConnections() }
