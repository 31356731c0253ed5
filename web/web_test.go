package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
