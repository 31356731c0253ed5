// Package web is Brevduva's browser client for case workers (Swedish first, English
// switchable): plain ES modules and CSS embedded in the binary, and the wasm module
// (bin/brevduva.wasm and its wasm_exec.js, built by `make wasm`) served from a folder.
// The page seals in the browser and sends SDK API sendMessage with sealedXhe (end-to-end
// mode, core/sdkapi), so the access point never receives the plaintext.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

//go:embed static
var static embed.FS

// Prefix is the path the assets are served below.
const Prefix = "/web/"

// Options configure Handler.
type Options struct {
	// WasmDir holds brevduva.wasm and wasm_exec.js. Empty: the executable's folder, then ./bin.
	WasmDir string
	// Config is served as /web/config.json (e.g. the SMP roots the page verifies with).
	Config any
	// ConnectOrigins are origins besides the page's own that the page may fetch from
	// (the OpenID provider's token endpoint): the CSP's connect-src.
	ConnectOrigins []string
}

// csp is the Content-Security-Policy of every response (CSP Level 3): own scripts and
// the wasm module only ('wasm-unsafe-eval' allows WebAssembly compilation, never eval),
// no inline script or style, no framing (clickjacking), no plugins, no <base>.
func csp(connect []string) string {
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self' 'wasm-unsafe-eval'",
		"worker-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: blob:",
		"connect-src " + strings.Join(append([]string{"'self'"}, connect...), " "),
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// secure sets the security headers of a page response.
func secure(h http.Header, policy string) {
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Frame-Options", "DENY")        // frame-ancestors for older browsers
	h.Set("Referrer-Policy", "no-referrer") // the sign-in code and state never leave in Referer
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
}

// Handler serves Prefix: the embedded assets (ETag, no-cache: always revalidated), the
// wasm module (application/wasm) and config.json; for "/" the page itself. Every answer
// carries the security headers (secure).
func Handler(o Options) (http.Handler, error) {
	cfg, err := json.Marshal(o.Config)
	if err != nil {
		return nil, err
	}
	for _, c := range o.ConnectOrigins {
		if u, err := url.Parse(c); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || strings.ContainsAny(c, " ;'") {
			return nil, fmt.Errorf("web: connect origin %q is not scheme://host[:port]", c)
		}
	}
	policy := csp(o.ConnectOrigins)
	sub, _ := fs.Sub(static, "static")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure(w.Header(), policy)
		name := strings.TrimPrefix(path.Clean(r.URL.Path), strings.TrimSuffix(Prefix, "/"))
		name = strings.TrimPrefix(name, "/")
		switch name {
		case "config.json":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(cfg)
			return
		case "brevduva.wasm", "wasm_exec.js":
			f := filepath.Join(wasmDir(o.WasmDir), name)
			if _, err := os.Stat(f); err != nil {
				http.Error(w, "the wasm module is not built: run `make wasm`", http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", contentType(name))
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFile(w, r, f) // Last-Modified revalidation
			return
		case "", ".":
			name = "index.html"
		}
		serveAsset(w, r, sub, name)
	}), nil
}

func serveAsset(w http.ResponseWriter, r *http.Request, sub fs.FS, name string) {
	b, err := fs.ReadFile(sub, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", contentType(name))
	_, _ = w.Write(b)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func wasmDir(d string) string {
	if d != "" {
		return d
	}
	if d = os.Getenv("BREVDUVA_WASM_DIR"); d != "" {
		return d
	}
	if exe, err := os.Executable(); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(exe), "brevduva.wasm")); err == nil {
			return filepath.Dir(exe)
		}
	}
	return "bin"
}
