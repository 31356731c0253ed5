package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
)

// ScopeAudit is Brevduva's OAuth scope for the audit API: a tenant administrator's token
// reads and verifies its own tenant's trail (the token's tenant), never another's.
const ScopeAudit = "urn:brevduva:api:audit"

// HandlerOptions configures NewHandler. Log and Auth are required.
type HandlerOptions struct {
	Log    *Log
	Auth   oauth.Authenticator
	Base   string       // path prefix, e.g. "/audit/v1" (no trailing slash)
	Logger *slog.Logger // nil: discard
}

// NewHandler returns the audit API (docs/design/audit.md):
//
//	GET {Base}/entries?messageId=&conversationId=&party=&from=&to=&after=&limit=
//	    → 200 {"entries": [View…], "next": "cursor"}; from/to are RFC 3339
//	GET {Base}/verify?anchor=seq:hash…
//	    → 200 VerifyView (valid, or the first broken sequence number)
//
// Both need a bearer token with ScopeAudit; the tenant is the token's.
func NewHandler(o HandlerOptions) (http.Handler, error) {
	if o.Log == nil || o.Auth == nil {
		return nil, fmt.Errorf("audit: handler: log and authenticator are required: %w", ErrInvalid)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+o.Base+"/entries", h.search)
	mux.HandleFunc("GET "+o.Base+"/verify", h.verify)
	return mux, nil
}

type handler struct{ o HandlerOptions }

// auth returns the token's tenant, or writes 401/403 and returns false.
func (h *handler) auth(w http.ResponseWriter, r *http.Request) (string, bool) {
	p, err := h.o.Auth.Authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="audit"`)
		problem(w, http.StatusUnauthorized, "a valid bearer token is required")
		return "", false
	}
	if !p.HasAny(ScopeAudit) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="audit", error="insufficient_scope", scope="`+ScopeAudit+`"`)
		problem(w, http.StatusForbidden, "the token lacks the scope "+ScopeAudit)
		return "", false
	}
	return p.Tenant, true
}

func (h *handler) search(w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.auth(w, r)
	if !ok {
		return
	}
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error())
		return
	}
	p, err := h.o.Log.Search(r.Context(), tenant, f)
	if errors.Is(err, ErrInvalid) {
		problem(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		h.o.Logger.ErrorContext(r.Context(), "audit search", "tenant", tenant, "err", err)
		problem(w, http.StatusInternalServerError, "the audit trail cannot be read")
		return
	}
	out := struct {
		Entries []View `json:"entries"`
		Next    string `json:"next,omitempty"`
	}{Entries: make([]View, 0, len(p.Entries))}
	for _, e := range p.Entries {
		out.Entries = append(out.Entries, ViewOf(e))
	}
	if p.Next != 0 {
		out.Next = strconv.FormatUint(p.Next, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) verify(w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.auth(w, r)
	if !ok {
		return
	}
	var anchors []Anchor
	for _, s := range r.URL.Query()["anchor"] {
		a, err := ParseAnchor(s)
		if err != nil {
			problem(w, http.StatusBadRequest, err.Error())
			return
		}
		anchors = append(anchors, a)
	}
	rep, err := h.o.Log.Verify(r.Context(), tenant, anchors...)
	v, ok := VerifyViewOf(tenant, rep, err)
	if !ok {
		h.o.Logger.ErrorContext(r.Context(), "audit verify", "tenant", tenant, "err", err)
		problem(w, http.StatusInternalServerError, "the audit trail cannot be read")
		return
	}
	if !v.Valid {
		h.o.Logger.WarnContext(r.Context(), "audit chain broken", "tenant", tenant, "seq", v.BrokenAt, "reason", v.Reason)
	}
	writeJSON(w, http.StatusOK, v)
}

// ParseFilter reads a Filter from query parameters (messageId, conversationId, party,
// from, to in RFC 3339, after, limit): the HTTP API's and the CLI's names.
func ParseFilter(q url.Values) (Filter, error) {
	f := Filter{MessageID: q.Get("messageId"), ConversationID: q.Get("conversationId"), Party: q.Get("party")}
	var err error
	if f.From, err = parseTime(q.Get("from")); err != nil {
		return Filter{}, err
	}
	if f.To, err = parseTime(q.Get("to")); err != nil {
		return Filter{}, err
	}
	if s := q.Get("after"); s != "" {
		if f.After, err = strconv.ParseUint(s, 10, 64); err != nil {
			return Filter{}, fmt.Errorf("audit: after %q: %w", s, ErrInvalid)
		}
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 1 || f.Limit > MaxSearchLimit {
			return Filter{}, fmt.Errorf("audit: limit %q not in 1..%d: %w", s, MaxSearchLimit, ErrInvalid)
		}
	}
	return f, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("audit: time %q: want RFC 3339: %w", s, ErrInvalid)
	}
	return t, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// problem writes an RFC 7807 problem document.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
}
