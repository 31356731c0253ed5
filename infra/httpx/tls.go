package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// MinVersion is the lowest TLS version either side accepts (⚠U spec-facts §k 20).
const MinVersion = tls.VersionTLS12

// CipherSuites are the TLS 1.2 suites offered and accepted: ECDHE key exchange with an
// AEAD only (⚠U spec-facts §k 20). TLS 1.3 suites are not configurable in Go and are
// all ECDHE (or X25519MLKEM768) with an AEAD.
var CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// ErrNoCertificate is returned when a TLS configuration is asked for without a
// certificate or without the CA pool that the other side must chain to.
var ErrNoCertificate = errors.New("httpx: certificate or CA pool missing")

// ClientTLS returns the configuration of an AS4 client: cert is this AP's TLS client
// certificate (the tenant's), roots the CAs a peer's server certificate must chain to
// (the environment's TLS CA, SITHS in DIGG's environments).
func ClientTLS(cert tls.Certificate, roots *x509.CertPool) (*tls.Config, error) {
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil || roots == nil {
		return nil, fmt.Errorf("httpx: client tls: %w", ErrNoCertificate)
	}
	return &tls.Config{
		MinVersion:   MinVersion,
		CipherSuites: CipherSuites,
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
	}, nil
}

// ServerTLS returns the configuration of an AS4 endpoint: cert is the server
// certificate, clientCAs the CAs a client certificate must chain to. A client without
// a certificate, or with one outside clientCAs, fails the handshake.
func ServerTLS(cert tls.Certificate, clientCAs *x509.CertPool) (*tls.Config, error) {
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil || clientCAs == nil {
		return nil, fmt.Errorf("httpx: server tls: %w", ErrNoCertificate)
	}
	return &tls.Config{
		MinVersion:   MinVersion,
		CipherSuites: CipherSuites,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
	}, nil
}

// WebTLS returns the configuration of a server without client certificates (the SDK
// API, the SMP and the address book in the local system).
func WebTLS(cert tls.Certificate) (*tls.Config, error) {
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return nil, fmt.Errorf("httpx: web tls: %w", ErrNoCertificate)
	}
	return &tls.Config{MinVersion: MinVersion, CipherSuites: CipherSuites, Certificates: []tls.Certificate{cert}}, nil
}
