package addressbook_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/addressbook"
	"github.com/brevduva/brevduva/core/addressbook/addressbooktest"
	"github.com/brevduva/brevduva/core/httpcache"
)

func newCachedAPI(t *testing.T, p httpcache.Policy) *httptest.Server {
	t.Helper()
	h, err := addressbook.NewHandler(addressbook.HandlerOptions{Book: addressbooktest.NewMemory().Book(), AdminToken: token, Cache: p})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	seed(t, ts)
	return ts
}

// TestReadAPICacheHeaders: reads carry the policy's Cache-Control (RFC 9111 §5.2.2), 404
// the shorter lifetime, other errors and every admin answer no-store; a configured
// policy's lifetimes are sent and Disabled turns caching off.
func TestReadAPICacheHeaders(t *testing.T) {
	for _, c := range []struct {
		p          httpcache.Policy
		ok, absent string
	}{
		{httpcache.Policy{}, "public, max-age=300", "public, max-age=60"},
		{httpcache.Policy{MaxAge: 2 * time.Minute, NotFoundMaxAge: 10 * time.Second}, "public, max-age=120", "public, max-age=10"},
		{httpcache.Policy{Disabled: true}, "no-store", "no-store"},
	} {
		ts := newCachedAPI(t, c.p)
		for _, r := range []struct {
			method, path string
			auth         bool
			status       int
			cc           string
		}{
			{"GET", "/addressbook/api/organizations", false, 200, c.ok},
			{"GET", "/addressbook/api/addresses?filter%5Bparent%5D=gbg", false, 200, c.ok},
			{"GET", "/addressbook/api/organizations/gbg", false, 200, c.ok},
			{"HEAD", "/addressbook/api/addresses/a1", false, 200, c.ok},
			{"GET", "/addressbook/api/addresses/nope", false, 404, c.absent},
			{"GET", "/addressbook/api/organizations?sort=name", false, 400, "no-store"},
			{"POST", "/addressbook/api/organizations", false, 405, "no-store"},
			{"DELETE", "/addressbook/admin/addresses/a3", true, 204, "no-store"},
			{"DELETE", "/addressbook/admin/addresses/a3", true, 404, "no-store"},
			{"DELETE", "/addressbook/admin/addresses/a2", false, 401, "no-store"},
		} {
			req, _ := http.NewRequest(r.method, ts.URL+r.path, nil)
			if r.auth {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != r.status || resp.Header.Get("Cache-Control") != r.cc {
				t.Errorf("%+v: %s %s = %d %q, want %d %q", c.p, r.method, r.path, resp.StatusCode, resp.Header.Get("Cache-Control"), r.status, r.cc)
			}
		}
	}
}
