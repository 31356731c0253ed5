package front

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxLookupBytes caps a lookup answer the Worker buffers and caches.
const MaxLookupBytes = 8 << 20

// HeaderCache says whether a lookup answer came from the cache (HIT) or the origin (MISS).
const HeaderCache = "X-Brevduva-Cache"

// keptHeaders are the origin headers a lookup answer keeps (the body is never changed:
// signed SMP answers stay verifiable).
var keptHeaders = []string{"Content-Type", "Cache-Control", "ETag", "Last-Modified", "Expires", "Vary", "Content-Language"}

// lookup answers GET from the cache or the origin, caching what the origin allows.
func (f *front) lookup(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key := cacheKey(r)
	if resp, err := f.deps.Cache.Match(r.Context(), key); err == nil {
		defer resp.Body.Close()
		relay(w, resp, "HIT")
		return
	} else if !errors.Is(err, ErrMiss) {
		http.Error(w, "cache unavailable", http.StatusBadGateway) // never serve what we cannot check
		return
	}
	resp, body, err := f.fetchLookup(r)
	if err != nil {
		http.Error(w, "origin unavailable", http.StatusBadGateway)
		return
	}
	if _, ok := CacheTTL(resp.Header); ok && cacheableStatus(resp.StatusCode) && resp.Header.Get("Set-Cookie") == "" {
		stored := &http.Response{StatusCode: resp.StatusCode, Header: keep(resp.Header), ContentLength: int64(len(body)),
			Body: io.NopCloser(bytes.NewReader(body))}
		_ = f.deps.Cache.Put(r.Context(), key, stored) // a failed put only costs a later miss
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	relay(w, resp, "MISS")
}

// cacheableStatus: a found answer, or one saying there is nothing (RFC 9110 §15.5.5,
// §15.5.11: 404 and 410 are heuristically cacheable, but the Worker still takes the
// lifetime only from Cache-Control; core/httpcache gives 404 `public, max-age=60`).
// Any other status passes through every time.
func cacheableStatus(code int) bool {
	return code == http.StatusOK || code == http.StatusNotFound || code == http.StatusGone
}

func (f *front) fetchLookup(r *http.Request) (*http.Response, []byte, error) {
	req, cancel, err := f.originRequest(r.Context(), http.MethodGet, r.URL.RequestURI())
	if err != nil {
		return nil, nil, err
	}
	defer cancel()
	for _, h := range []string{"Accept", "Accept-Language"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := f.deps.HTTP.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("front: lookup: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxLookupBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("front: lookup body: %w", err)
	}
	if len(body) > MaxLookupBytes {
		return nil, nil, fmt.Errorf("front: lookup answer over %d bytes", MaxLookupBytes)
	}
	return resp, body, nil
}

func cacheKey(r *http.Request) string {
	u := *r.URL
	u.Fragment = ""
	if u.Host == "" {
		u.Host = r.Host
	}
	if u.Scheme == "" {
		u.Scheme = "https"
	}
	return u.String()
}

func keep(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range keptHeaders {
		if v := h.Values(k); len(v) > 0 {
			out[k] = v
		}
	}
	return out
}

func relay(w http.ResponseWriter, resp *http.Response, cache string) {
	for k, v := range keep(resp.Header) {
		w.Header()[k] = v
	}
	w.Header().Set(HeaderCache, cache)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// CacheTTL is how long a shared cache may keep a response (RFC 9111 §5.2.2): s-maxage,
// else max-age; nothing (false) with no-store, no-cache, private, a zero lifetime or no
// lifetime at all (the Worker does not guess a heuristic lifetime).
func CacheTTL(h http.Header) (time.Duration, bool) {
	var maxAge, sMaxAge int64 = -1, -1
	for _, line := range h.Values("Cache-Control") {
		for _, d := range strings.Split(line, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache", "private":
				return 0, false
			case "max-age":
				maxAge = seconds(val)
			case "s-maxage":
				sMaxAge = seconds(val)
			}
		}
	}
	ttl := maxAge
	if sMaxAge >= 0 {
		ttl = sMaxAge
	}
	if ttl <= 0 {
		return 0, false
	}
	return time.Duration(ttl) * time.Second, true
}

// maxDeltaSeconds is where RFC 9111 §1.2.2 caps delta-seconds (2^31).
const maxDeltaSeconds = 1 << 31

func seconds(v string) int64 {
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-") {
		return maxDeltaSeconds
	}
	if err != nil || n < 0 {
		return -1
	}
	return min(n, maxDeltaSeconds)
}
