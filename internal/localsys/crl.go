package localsys

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/infra/crl"
	"github.com/brevduva/brevduva/infra/httpx"
	"github.com/brevduva/brevduva/internal/demopki"
)

// PathCRL is where the shared port publishes Config.PublishCRLs.
const PathCRL = "/crl/"

// revocation returns the CRL source for the configured crlUrls (nil when there are
// none): a URL starting with "/" is on the shared port at base. HTTPS is checked against
// the system roots and the TLS CA in tlsCAFile (the demo's shared port with --https).
func revocation(crlURLs []string, tlsCAFile, base string, log *slog.Logger) (trust.CRLSource, error) {
	if len(crlURLs) == 0 {
		return nil, nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	tlsCAs, err := demopki.LoadCerts(tlsCAFile)
	if err != nil {
		return nil, fmt.Errorf("localsys: crl client: %w", err)
	}
	for _, c := range tlsCAs {
		roots.AddCert(c)
	}
	urls := make([]string, 0, len(crlURLs))
	for _, u := range crlURLs {
		if strings.HasPrefix(u, "/") {
			u = base + u
		}
		urls = append(urls, u)
	}
	client := &http.Client{Timeout: crl.DefaultTimeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: httpx.MinVersion}}}
	f, err := crl.New(crl.Options{URLs: urls, Client: client, Logger: log.With("component", "crl")})
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	return f, nil
}

// crlHandler serves the configured CRL files at PathCRL + file name, read at each
// request (a CA operator replaces the file; no restart).
func crlHandler(files []string) (http.Handler, error) {
	mux := http.NewServeMux()
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("localsys: publish crl: %w", err)
		}
		mux.HandleFunc("GET "+PathCRL+filepath.Base(f), func(w http.ResponseWriter, r *http.Request) {
			b, err := os.ReadFile(f)
			if err != nil {
				http.Error(w, "crl unavailable", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/pkix-crl") // RFC 2585 §4.2
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
		})
	}
	return mux, nil
}

// newTrust is a trust store over roots at the wall clock, with crls (may be nil).
func newTrust(roots []*x509.Certificate, crls trust.CRLSource) *trust.Store {
	s := trust.NewStore(roots, time.Now)
	s.Revocation = crls
	return s
}
