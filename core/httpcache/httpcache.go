// Package httpcache sets the caching headers of Brevduva's public lookup answers (the SMP's
// ServiceGroup and SignedServiceMetadata, the address book's read API) for browsers,
// clients and shared caches such as the edge Worker (RFC 9111 HTTP Caching; RFC 9110
// §8.8.3 ETag, §13.1.2 If-None-Match).
//
// SMP 1.0 §3.4 (OASIS BDXR) and the SDK address book material this project holds say
// nothing about HTTP caching (none found; not verified against every profile), and SMPs
// commonly send no Cache-Control, which leaves a cache to its own heuristics (RFC 9111
// §4.2.2) or, like the edge Worker, to store nothing. A Policy states the lifetime
// explicitly:
//
//   - 200 and 304: "public, max-age=N" (RFC 9111 §5.2.2.9 public, §5.2.2.1 max-age), N
//     DefaultMaxAge unless configured;
//   - 404 and 410 (negative answers, heuristically cacheable by RFC 9110 §15.1): the shorter
//     NotFoundMaxAge;
//   - any other status, and every answer of a disabled Policy: "no-store" (§5.2.2.5).
//
// Authenticated admin endpoints set NoStore themselves.
package httpcache

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Policy. Five minutes bounds how long a cache serves a changed registration
// (an endpoint moved, a certificate rotated) stale, a third of the SMP client's own default
// TTL (core/smp ClientOptions.TTL, 15 min) that sits behind it; a not-found answer lives
// one minute, the client's NegativeTTL default, so a new registration shows up soon.
const (
	DefaultMaxAge         = 5 * time.Minute
	DefaultNotFoundMaxAge = time.Minute
)

// NoStore is the Cache-Control of answers no cache may keep (RFC 9111 §5.2.2.5).
const NoStore = "no-store"

// Policy is the caching of one API's public answers. The zero value is the default.
type Policy struct {
	MaxAge         time.Duration // 200/304 answers; 0: DefaultMaxAge (whole seconds, at least 1)
	NotFoundMaxAge time.Duration // 404/410 answers; 0: DefaultNotFoundMaxAge
	Disabled       bool          // every answer no-store
}

// CacheControl is the header value for an answer with status.
func (p Policy) CacheControl(status int) string {
	switch {
	case p.Disabled:
		return NoStore
	case status == http.StatusOK || status == http.StatusNotModified:
		return public(p.MaxAge, DefaultMaxAge)
	case status == http.StatusNotFound || status == http.StatusGone:
		return public(p.NotFoundMaxAge, DefaultNotFoundMaxAge)
	default:
		return NoStore
	}
}

func public(d, def time.Duration) string {
	if d <= 0 {
		d = def
	}
	return "public, max-age=" + strconv.FormatInt(max(int64(d/time.Second), 1), 10)
}

// Writer returns w that sets Cache-Control from the status when the header is written,
// unless the handler set one itself.
func (p Policy) Writer(w http.ResponseWriter) http.ResponseWriter {
	return &writer{ResponseWriter: w, p: p}
}

type writer struct {
	http.ResponseWriter
	p     Policy
	wrote bool
}

func (w *writer) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		if w.Header().Get("Cache-Control") == "" {
			w.Header().Set("Cache-Control", w.p.CacheControl(status))
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *writer) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// ETag is a strong entity tag of body (RFC 9110 §8.8.3): the unpadded base64url SHA-256,
// quoted. It is computed over the bytes as sent, which it never changes.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
}

// NotModified reports whether r's If-None-Match names etag or is "*" (RFC 9110 §13.1.2:
// weak comparison, so W/ prefixes are ignored). Only GET and HEAD are considered.
func NotModified(r *http.Request, etag string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	for _, line := range r.Header.Values("If-None-Match") {
		for _, t := range strings.Split(line, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == etag {
				return true
			}
		}
	}
	return false
}
