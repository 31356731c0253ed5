package crl_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/infra/crl"
	"github.com/brevduva/brevduva/internal/demopki"
)

// server serves whatever body and status it holds and counts requests.
type server struct {
	mu     sync.Mutex
	body   []byte
	status int
	hits   int
	delay  time.Duration
}

func (s *server) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.hits++
	body, status, delay := s.body, s.status, s.delay
	s.mu.Unlock()
	time.Sleep(delay)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *server) set(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func issue(t *testing.T, this, next time.Time, revoked ...*x509.Certificate) *x509.RevocationList {
	t.Helper()
	var es []x509.RevocationListEntry
	for _, c := range revoked {
		es = append(es, x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: this})
	}
	l, err := demopki.ForTest(t).CA("ap-ca").CRL(es, this, next)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func start(t *testing.T) (*server, string) {
	t.Helper()
	s := &server{status: http.StatusNotFound}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL + "/ap-ca.crl"
}

func TestCachesUntilNextUpdate(t *testing.T) {
	srv, u := start(t)
	first := issue(t, t0, t0.Add(time.Hour))
	srv.set(http.StatusOK, first.Raw) // DER
	f, err := crl.New(crl.Options{URLs: []string{u}})
	if err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{t0, t0.Add(59 * time.Minute)} {
		got, err := f.CRLs(now)
		if err != nil || len(got) != 1 || got[0].Number.Cmp(first.Number) != 0 {
			t.Fatalf("CRLs(%s) = %v, %v", now, got, err)
		}
	}
	if n := srv.count(); n != 1 {
		t.Fatalf("%d fetches before nextUpdate, want 1", n)
	}
	second := issue(t, t0.Add(time.Hour), t0.Add(2*time.Hour), demopki.ForTest(t).Leaf("ap-a").Cert)
	srv.set(http.StatusOK, pem.EncodeToMemory(demopki.CRLPEM(second))) // PEM
	got, err := f.CRLs(t0.Add(time.Hour))
	if err != nil || got[0].Number.Cmp(second.Number) != 0 || len(got[0].RevokedCertificateEntries) != 1 {
		t.Fatalf("after nextUpdate: %v, %v", got, err)
	}
	if n := srv.count(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

// A URL that never answered leaves the status undetermined: CRLs fails, and the
// trust store refuses (fail closed). Retries wait RetryAfter.
func TestNeverFetchedFailsClosed(t *testing.T) {
	srv, u := start(t)
	f, err := crl.New(crl.Options{URLs: []string{u}, RetryAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.CRLs(t0); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("CRLs = %v, want the 404", err)
	}
	pki := demopki.ForTest(t)
	st := trust.NewStore([]*x509.Certificate{pki.CA("ap-ca").Cert.Cert}, func() time.Time { return t0.Add(time.Second) })
	st.Revocation = f
	if _, err := st.Verify(pki.Leaf("ap-b").Cert, nil, trust.Signing); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("Verify without a CRL = %v, want ErrUntrusted", err)
	}
	if n := srv.count(); n != 1 {
		t.Fatalf("%d fetches within RetryAfter, want 1", n)
	}
	srv.set(http.StatusOK, issue(t, t0, t0.Add(time.Hour)).Raw)
	if _, err := f.CRLs(t0.Add(time.Minute)); err != nil {
		t.Fatalf("after RetryAfter: %v", err)
	}
}

// A failed refresh keeps the last CRL; past its nextUpdate core/trust refuses.
func TestStaleAfterFailedRefresh(t *testing.T) {
	srv, u := start(t)
	srv.set(http.StatusOK, issue(t, t0, t0.Add(time.Hour)).Raw)
	f, err := crl.New(crl.Options{URLs: []string{u}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.CRLs(t0); err != nil {
		t.Fatal(err)
	}
	srv.set(http.StatusInternalServerError, nil)
	late := t0.Add(2 * time.Hour)
	got, err := f.CRLs(late)
	if err != nil || len(got) != 1 {
		t.Fatalf("CRLs after a failed refresh = %v, %v; want the last CRL", got, err)
	}
	pki := demopki.ForTest(t)
	st := trust.NewStore([]*x509.Certificate{pki.CA("ap-ca").Cert.Cert}, func() time.Time { return late })
	st.Revocation = f
	if _, err := st.Verify(pki.Leaf("ap-b").Cert, nil, trust.Signing); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("Verify with a stale CRL = %v, want ErrUntrusted", err)
	}
}

func TestRefuses(t *testing.T) {
	good := issue(t, t0, t0.Add(time.Hour))
	cases := []struct {
		name   string
		body   []byte
		o      crl.Options
		status int
		delay  time.Duration
		want   string
	}{
		{"too large", good.Raw, crl.Options{MaxBytes: int64(len(good.Raw)) - 1}, http.StatusOK, 0, "larger than"},
		{"not a CRL", []byte("hello"), crl.Options{}, http.StatusOK, 0, "crl:"},
		{"certificate PEM", pem.EncodeToMemory(demopki.CertPEM(demopki.ForTest(t).Leaf("ap-a").Cert)), crl.Options{}, http.StatusOK, 0, "PEM block"},
		{"timeout", good.Raw, crl.Options{Timeout: 50 * time.Millisecond}, http.StatusOK, time.Second, "deadline"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, u := start(t)
			srv.set(c.status, c.body)
			srv.delay = c.delay
			c.o.URLs = []string{u}
			f, err := crl.New(c.o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.CRLs(t0); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CRLs = %v, want %q", err, c.want)
			}
		})
	}
}

// An older CRL (smaller number) does not replace a newer one.
func TestRefusesRollback(t *testing.T) {
	srv, u := start(t)
	newer := issue(t, t0.Add(time.Minute), t0.Add(time.Hour), demopki.ForTest(t).Leaf("ap-a").Cert)
	srv.set(http.StatusOK, newer.Raw)
	f, err := crl.New(crl.Options{URLs: []string{u}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.CRLs(t0); err != nil {
		t.Fatal(err)
	}
	srv.set(http.StatusOK, issue(t, t0, t0.Add(3*time.Hour)).Raw)
	got, err := f.CRLs(t0.Add(time.Hour))
	if err != nil || got[0].Number.Cmp(newer.Number) != 0 {
		t.Fatalf("rolled back: %v, %v", got, err)
	}
}

func FuzzParse(f *testing.F) {
	l, err := demopki.ForTest(f).CA("ap-ca").CRL(nil, t0, t0.Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(l.Raw)
	f.Add(pem.EncodeToMemory(demopki.CRLPEM(l)))
	f.Add([]byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := crl.Parse(b)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v", c, err)
		}
	})
}
