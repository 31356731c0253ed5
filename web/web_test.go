package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "brevduva.wasm"), []byte("\x00asm"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := Handler(Options{WasmDir: dir, Config: map[string]string{"smpPath": "/smp/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, ctype string }{
		{"/web/", "text/html; charset=utf-8"},
		{"/web/app.js", "text/javascript; charset=utf-8"},
		{"/web/brevduva.js", "text/javascript; charset=utf-8"},
		{"/web/style.css", "text/css; charset=utf-8"},
		{"/web/config.json", "application/json"},
		{"/web/brevduva.wasm", "application/wasm"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != c.ctype {
			t.Errorf("%s: %d %q, want 200 %q", c.path, rec.Code, rec.Header().Get("Content-Type"), c.ctype)
		}
		if cc := rec.Header().Get("Cache-Control"); cc == "" {
			t.Errorf("%s: no Cache-Control", c.path)
		}
		if etag := rec.Header().Get("ETag"); etag != "" {
			req := httptest.NewRequest("GET", c.path, nil)
			req.Header.Set("If-None-Match", etag)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				t.Errorf("%s: revalidation gave %d", c.path, rec.Code)
			}
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/web/wasm_exec.js", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "make wasm") {
		t.Errorf("missing wasm_exec.js: %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/web/nope.js", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown asset: %d", rec.Code)
	}
}

// TestSecurityHeaders: every answer carries the CSP (wasm allowed, no framing, the
// provider's origin in connect-src), Referrer-Policy and nosniff; and the pages hold
// nothing the CSP would block (inline scripts, style attributes, event handlers).
func TestSecurityHeaders(t *testing.T) {
	h, err := Handler(Options{WasmDir: t.TempDir(), Config: map[string]string{}, ConnectOrigins: []string{"https://idp.kommun-a.se"}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, hdr http.Header, connect string) {
		t.Helper()
		policy := map[string]string{}
		for _, d := range strings.Split(hdr.Get("Content-Security-Policy"), ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(d), " ")
			policy[k] = v
		}
		for k, want := range map[string]string{"script-src": "'self' 'wasm-unsafe-eval'", "frame-ancestors": "'none'", "object-src": "'none'",
			"default-src": "'self'", "connect-src": connect, "base-uri": "'none'"} {
			if policy[k] != want {
				t.Errorf("%s: CSP %s = %q, want %q", name, k, policy[k], want)
			}
		}
		if strings.Contains(hdr.Get("Content-Security-Policy"), "unsafe-inline") || strings.Contains(hdr.Get("Content-Security-Policy"), "'unsafe-eval'") {
			t.Errorf("%s: CSP allows inline code or eval", name)
		}
		for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
			if hdr.Get(k) != want {
				t.Errorf("%s: %s = %q", name, k, hdr.Get(k))
			}
		}
	}
	for _, p := range []string{"/", "/web/", "/web/app.js", "/web/config.json", "/web/brevduva.wasm", "/web/nope"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		check(p, rec.Header(), "'self' https://idp.kommun-a.se")
	}
	h, err = Handler(Options{WasmDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	check("no provider", rec.Header(), "'self'")
	if _, err := Handler(Options{ConnectOrigins: []string{"https://x.se; script-src *"}}); err == nil {
		t.Error("a connect origin that injects a directive was accepted")
	}
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
	for _, name := range []string{"static/index.html"} {
		b, err := static.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if m := inline.Find(b); m != nil {
			t.Errorf("%s: %q would be blocked by the CSP", name, m)
		}
	}
}
