package msh

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"
)

// TestTransportFailure: the outbox detail beside EBMS:0005 says what happened.
func TestTransportFailure(t *testing.T) {
	// A real refused connection on loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := (&net.Dialer{Timeout: 2 * time.Second}).Dial("tcp", addr)
	if refused == nil {
		t.Skip("something listens on the closed port")
	}
	// What an https client returns for a failed handshake.
	handshake := func(e error) error {
		return fmt.Errorf("httpx: post: %w", &url.Error{Op: "Post", URL: "https://ap.example", Err: &tls.CertificateVerificationError{Err: e}})
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{handshake(x509.CertificateInvalidError{Reason: x509.Expired}), "TLS: the access point's certificate has expired or is not yet valid"},
		{handshake(x509.CertificateInvalidError{Reason: x509.IncompatibleUsage}), "TLS: the access point's certificate is not valid"},
		{handshake(x509.UnknownAuthorityError{}), "TLS: the access point's certificate is from an unknown authority"},
		{handshake(x509.HostnameError{Host: "ap.example", Certificate: &x509.Certificate{}}), "TLS: the access point's certificate does not name its host"},
		{fmt.Errorf("httpx: post: %w", &url.Error{Op: "Post", URL: "https://" + addr, Err: refused}), "connection refused"},
		{fmt.Errorf("httpx: post: %w", context.DeadlineExceeded), "no response: timeout"},
		{errors.New("test: connection reset"), "no response"},
	} {
		if got := transportFailure(c.err); got != c.want {
			t.Errorf("%v: got %q, want %q", c.err, got, c.want)
		}
	}
}
