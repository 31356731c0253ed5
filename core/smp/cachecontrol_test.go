package smp_test

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/httpcache"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/smp/smptest"
	"github.com/brevduva/brevduva/internal/demopki"
)

// cacheServer is an SMP with policy p and participant 0203:kommun-b.se registered
// through the admin API.
func cacheServer(t *testing.T, pki *demopki.Set, p httpcache.Policy) cached {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	base, _ := url.Parse(ts.URL + "/smp")
	leaf := pki.Leaf("smp")
	s, err := smp.NewServer(smp.ServerOptions{Store: smptest.NewMemory(), BaseURL: base, AdminToken: token,
		Signer: smp.Signer{Key: leaf.Key, Chain: []*x509.Certificate{leaf.Cert}}, Cache: p})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/smp/", s)
	f := &fixture{srv: ts, base: base, pki: pki}
	if got := f.admin(t, "PUT", "0203:kommun-b.se", f.registration(), bearer); got != http.StatusNoContent {
		t.Fatalf("admin PUT = %d", got)
	}
	return cached{f, s}
}

// cached is an SMP handler and its fixture (for the admin API and the base URL).
type cached struct {
	*fixture
	h http.Handler
}

func (c cached) get(t *testing.T, method, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, c.base.String()+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.Bytes()
}

// TestServerCacheHeaders: public answers carry the policy's Cache-Control and an ETag of
// the bytes as sent (If-None-Match → 304 without a body); 404 the shorter lifetime;
// errors and every admin answer no-store (RFC 9111 §5.2.2).
func TestServerCacheHeaders(t *testing.T) {
	f := cacheServer(t, demopki.ForTest(t), httpcache.Policy{})
	p, _ := smp.ParseParticipant("iso6523-actorid-upis::0203:kommun-b.se")
	d, _ := smp.ParseDocument(smp.DocumentSDKMessage)
	sgURL, _ := smp.ServiceGroupURL(f.base, p)
	smURL, _ := smp.ServiceMetadataURL(f.base, p, d)
	for _, u := range []string{sgURL, smURL} {
		path := u[len(f.base.String()):]
		resp, body := f.get(t, "GET", path, nil)
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=300" || etag != httpcache.ETag(body) {
			t.Fatalf("GET %s: %d %q ETag %q (body's %s)", path, resp.StatusCode, resp.Header.Get("Cache-Control"), etag, httpcache.ETag(body))
		}
		resp, b := f.get(t, "GET", path, map[string]string{"If-None-Match": etag})
		if resp.StatusCode != http.StatusNotModified || len(b) != 0 || resp.Header.Get("ETag") != etag ||
			resp.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Errorf("revalidation of %s: %d, %d bytes, %q %q", path, resp.StatusCode, len(b), resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
		}
		if resp, b := f.get(t, "GET", path, map[string]string{"If-None-Match": `"other"`}); resp.StatusCode != 200 || string(b) != string(body) {
			t.Errorf("other ETag %s: %d", path, resp.StatusCode)
		}
	}
	check := func(method, path string, hdr map[string]string, status int, cc string) {
		t.Helper()
		if resp, _ := f.get(t, method, path, hdr); resp.StatusCode != status || resp.Header.Get("Cache-Control") != cc {
			t.Errorf("%s %s: %d %q, want %d %q", method, path, resp.StatusCode, resp.Header.Get("Cache-Control"), status, cc)
		}
	}
	admin := "/admin/participants/" + smp.EscapeSegment("0203:kommun-b.se")
	auth := map[string]string{"Authorization": "Bearer " + token}
	check("GET", "/"+smp.EscapeSegment("iso6523-actorid-upis::0203:nobody.se"), nil, 404, "public, max-age=60")
	check("POST", sgURL[len(f.base.String()):], nil, 405, "no-store")
	check("GET", "/"+smp.EscapeSegment("iso6523-actorid-upis::"), nil, 400, "no-store")
	check("GET", admin, auth, 200, "no-store")
	check("GET", admin, nil, 401, "no-store")
	check("GET", "/admin/participants/"+smp.EscapeSegment("iso6523-actorid-upis::0203:nobody.se"), auth, 404, "no-store")
}

// TestServerCachePolicy: configured lifetimes are sent, and Disabled turns caching off.
func TestServerCachePolicy(t *testing.T) {
	pki := demopki.ForTest(t)
	sg := "/" + smp.EscapeSegment("iso6523-actorid-upis::0203:kommun-b.se")
	none := "/" + smp.EscapeSegment("iso6523-actorid-upis::0203:nobody.se")
	for _, c := range []struct {
		p            httpcache.Policy
		found, never string
	}{
		{httpcache.Policy{MaxAge: 30 * time.Second, NotFoundMaxAge: 5 * time.Second}, "public, max-age=30", "public, max-age=5"},
		{httpcache.Policy{Disabled: true}, "no-store", "no-store"},
	} {
		f := cacheServer(t, pki, c.p)
		if resp, _ := f.get(t, "GET", sg, nil); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != c.found {
			t.Errorf("%+v: 200 %q", c.p, resp.Header.Get("Cache-Control"))
		}
		if resp, _ := f.get(t, "GET", none, nil); resp.StatusCode != 404 || resp.Header.Get("Cache-Control") != c.never {
			t.Errorf("%+v: 404 %q", c.p, resp.Header.Get("Cache-Control"))
		}
	}
}
