package sdkapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORS (Fetch standard, "CORS protocol") for browser pages on another origin than the
// API. Only Options.AllowedOrigins get Access-Control-Allow-Origin; credentials mode is
// never allowed (no Access-Control-Allow-Credentials): the API reads the Authorization
// header only, never a cookie, so a foreign page can neither read answers nor ride on
// a session (CSRF).
const (
	corsMethods = "GET, POST, DELETE"
	corsHeaders = "Authorization, Content-Type, Accept"
	corsExpose  = "Location, WWW-Authenticate"
	corsMaxAge  = "600"
)

// checkOrigins requires serialised origins: scheme://host[:port], nothing else.
func checkOrigins(origins []string) error {
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil || o == "*" {
			return fmt.Errorf("sdkapi: handler: allowed origin %q is not scheme://host[:port]", o)
		}
	}
	return nil
}

// cors sets the CORS headers of an allowed origin and answers preflights; it returns
// true when the request is answered. A foreign origin's preflight gets 403 without
// CORS headers, so the browser never sends the real request.
func (h *handler) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if len(h.o.AllowedOrigins) > 0 {
		w.Header().Add("Vary", "Origin")
	}
	allowed := origin != "" && h.originAllowed(origin)
	if allowed {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", corsExpose)
	}
	if !preflight {
		return false
	}
	if !allowed {
		h.o.Logger.Info("sdk api cors preflight refused", "origin", safeOrigin(origin))
		writeProblem(w, r, Problem{Type: ProblemForbidden, Status: http.StatusForbidden, Detail: "origin not allowed"})
		return true
	}
	w.Header().Set("Access-Control-Allow-Methods", corsMethods)
	w.Header().Set("Access-Control-Allow-Headers", corsHeaders)
	w.Header().Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}

func (h *handler) originAllowed(origin string) bool {
	for _, o := range h.o.AllowedOrigins {
		if strings.EqualFold(o, origin) { // origins compare ASCII case-insensitively in host
			return true
		}
	}
	return false
}

func safeOrigin(s string) string {
	if len(s) > 100 {
		s = s[:100]
	}
	return fmt.Sprintf("%q", s)
}
