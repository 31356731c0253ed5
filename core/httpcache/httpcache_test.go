package httpcache_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/httpcache"
)

func TestCacheControl(t *testing.T) {
	custom := httpcache.Policy{MaxAge: 90 * time.Second, NotFoundMaxAge: 1500 * time.Millisecond}
	for _, c := range []struct {
		p      httpcache.Policy
		status int
		want   string
	}{
		{httpcache.Policy{}, 200, "public, max-age=300"},
		{httpcache.Policy{}, 304, "public, max-age=300"},
		{httpcache.Policy{}, 404, "public, max-age=60"},
		{httpcache.Policy{}, 410, "public, max-age=60"},
		{httpcache.Policy{}, 400, "no-store"},
		{httpcache.Policy{}, 401, "no-store"},
		{httpcache.Policy{}, 500, "no-store"},
		{custom, 200, "public, max-age=90"},
		{custom, 404, "public, max-age=1"}, // whole seconds
		{httpcache.Policy{MaxAge: time.Millisecond}, 200, "public, max-age=1"},
		{httpcache.Policy{Disabled: true}, 200, "no-store"},
		{httpcache.Policy{Disabled: true}, 404, "no-store"},
	} {
		if got := c.p.CacheControl(c.status); got != c.want {
			t.Errorf("%+v.CacheControl(%d) = %q, want %q", c.p, c.status, got, c.want)
		}
	}
}

func TestWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	w := httpcache.Policy{}.Writer(rec)
	_, _ = w.Write([]byte("x")) // implicit 200
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("implicit 200: %q", got)
	}
	rec = httptest.NewRecorder()
	w = httpcache.Policy{}.Writer(rec)
	w.Header().Set("Cache-Control", httpcache.NoStore) // the handler's own choice wins
	w.WriteHeader(http.StatusOK)
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("preset: %q", got)
	}
	rec = httptest.NewRecorder()
	http.Error(httpcache.Policy{}.Writer(rec), "bad", http.StatusBadRequest)
	if got := rec.Header().Get("Cache-Control"); got != "no-store" || rec.Code != 400 {
		t.Errorf("error: %d %q", rec.Code, got)
	}
}

func TestETagAndNotModified(t *testing.T) {
	a, b := httpcache.ETag([]byte("a")), httpcache.ETag([]byte("b"))
	if a == b || a != httpcache.ETag([]byte("a")) || a[0] != '"' || a[len(a)-1] != '"' {
		t.Fatalf("ETag: %s %s", a, b)
	}
	for _, c := range []struct {
		method, inm string
		want        bool
	}{
		{"GET", a, true},
		{"HEAD", a, true},
		{"GET", b + ", " + a, true},
		{"GET", "W/" + a, true}, // weak comparison
		{"GET", "*", true},
		{"GET", b, false},
		{"GET", "", false},
		{"POST", a, false},
	} {
		r := httptest.NewRequest(c.method, "/", nil)
		if c.inm != "" {
			r.Header.Set("If-None-Match", c.inm)
		}
		if got := httpcache.NotModified(r, a); got != c.want {
			t.Errorf("%s If-None-Match %q: %v, want %v", c.method, c.inm, got, c.want)
		}
	}
}
