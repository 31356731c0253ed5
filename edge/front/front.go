// Package front is the edge Worker's request handling (edge/), as plain Go so it is tested
// on the host as well as run in workerd: the web client's configuration, read-only
// lookups (address book, SMP with CertPub) proxied to the origin through a cache whose
// lifetime is the origin's Cache-Control (RFC 9111 §5.2.2), and the AS4 front door, which
// streams a large inbound AS4 message (ebMS 3.0 Core, AS4 profile: one HTTP POST per
// exchange, synchronous receipt) into S3-compatible storage with a multipart upload and
// hands the AS4 receive function a reference to it (edge/byref).
//
// Answers the Worker writes to a sending access point itself are ebMS error signals in a
// SOAP 1.2 fault (ebMS 3.0 Core §6.6, §6.7.1): EBMS:0005 ConnectionFailure when the origin
// or the object store cannot be reached or fails, EBMS:0004 Other for a message over the
// PMode's size cap, EBMS:0007 MIMEInconsistency for a wrong content type. Every origin
// call has a deadline, so a sending AP never waits on a hung origin.
//
// The ports (Doer, Cache, CertFunc) are implemented over workerd's fetch, Cache API and
// request.cf in the Worker, and over net/http and memory in tests.
package front

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/brevduva/brevduva/edge/byref"
)

// Doer sends one HTTP request; *http.Client fits. The request's context carries the deadline.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// ErrMiss is what Cache.Match returns when nothing is cached under the key.
var ErrMiss = errors.New("front: not cached")

// Cache keeps lookup answers. Put stores a response whose Cache-Control allows it, for
// the lifetime that header gives; Match returns it with its body, or ErrMiss.
type Cache interface {
	Match(ctx context.Context, key string) (*http.Response, error)
	Put(ctx context.Context, key string, resp *http.Response) error
}

// CertFunc returns what the TLS terminator verified about the request's client
// certificate, or nil when none was presented.
type CertFunc func(*http.Request) *byref.ClientCert

// Deps are the Worker's ports.
type Deps struct {
	HTTP       Doer
	Cache      Cache
	ClientCert CertFunc
	Now        func() time.Time // nil: time.Now
	// Memory, when set (the Worker's DEBUG_MEMORY, test only), is sampled after each part
	// of a staged upload; its last answer (the peaks so far) goes in HeaderMemory.
	Memory func() string
}

type front struct {
	cfg  Config
	deps Deps
}

// New returns the Worker's handler.
func New(cfg Config, d Deps) (http.Handler, error) {
	if d.HTTP == nil || d.Cache == nil || d.ClientCert == nil || cfg.Origin == nil || cfg.S3Endpoint == nil {
		return nil, errors.New("front: HTTP, Cache, ClientCert, Origin and S3Endpoint are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &front{cfg: cfg, deps: d}, nil
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == f.cfg.AS4Path:
		f.as4(w, r)
	case p == "/web/config.json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(f.cfg.WebConfig)
	case p == "/":
		http.Redirect(w, r, "/web/", http.StatusFound)
	case f.isLookup(p):
		f.lookup(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *front) isLookup(p string) bool {
	for _, pre := range f.cfg.LookupPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// originRequest is a request to the origin at path (with query) under the origin's deadline.
func (f *front) originRequest(ctx context.Context, method, pathQuery string) (*http.Request, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.OriginTimeout)
	req, err := http.NewRequestWithContext(ctx, method, f.cfg.Origin.String()+pathQuery, nil)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return req, cancel, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
