package oauth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTTL is the lifetime of an access token.
const DefaultTTL = 5 * time.Minute

// maxForm caps a token request body.
const maxForm = 8 << 10

// Client is a registered OAuth client: its id, secret, tenant and allowed scopes.
type Client struct {
	ID     string
	Secret string
	Tenant string
	Scopes []string // nil: AllScopes
	// FunctionAddresses, when non-nil, are the only mailboxes the client's tokens open
	// (claim "fas"); nil: every function address of the tenant.
	FunctionAddresses []string
}

// ServerOptions configure NewServer.
type ServerOptions struct {
	Key     ed25519.PrivateKey // the installation's signing key
	Issuer  string             // iss of every token (the token endpoint's URL)
	Clients []Client
	TTL     time.Duration // 0: DefaultTTL
	Now     func() time.Time
	Logger  *slog.Logger // nil: discard
}

// Server is the token endpoint (RFC 6749 §3.2) for the client credentials grant, and
// the Verifier of the tokens it issues.
type Server struct {
	o       ServerOptions
	clients map[string]client
	v       *Verifier
}

type client struct {
	Client
	secret [32]byte
}

// NewServer checks o and returns a Server.
func NewServer(o ServerOptions) (*Server, error) {
	if len(o.Key) != ed25519.PrivateKeySize || o.Issuer == "" || o.Now == nil {
		return nil, errors.New("oauth: server: Key, Issuer and Now are required")
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, clients: map[string]client{}}
	for _, c := range o.Clients {
		if c.ID == "" || c.Secret == "" || c.Tenant == "" || strings.ContainsAny(c.ID, ": ") {
			return nil, fmt.Errorf("oauth: server: client %q needs an id without ':' or spaces, a secret and a tenant", c.ID)
		}
		if _, dup := s.clients[c.ID]; dup {
			return nil, fmt.Errorf("oauth: server: client %q registered twice", c.ID)
		}
		if c.Scopes == nil {
			c.Scopes = AllScopes
		}
		s.clients[c.ID] = client{Client: c, secret: sha256.Sum256([]byte(c.Secret))}
	}
	s.v = &Verifier{Key: o.Key.Public().(ed25519.PublicKey), Issuer: o.Issuer, Now: o.Now}
	return s, nil
}

// Verifier returns the checker of this server's tokens.
func (s *Server) Verifier() *Verifier { return s.v }

// tokenResponse is RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// ServeHTTP answers POST token requests: grant_type=client_credentials, the client
// authenticated with HTTP Basic (client_secret_basic) or in the form
// (client_secret_post), and an optional scope that must be a subset of the client's.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "form body required")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	form := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: the Basic credentials are form-urlencoded first.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || form.Has("client_secret") {
			oauthError(w, http.StatusBadRequest, "invalid_request", "one client authentication method only")
			return
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	c, ok := s.authenticate(id, secret)
	if !ok {
		s.o.Logger.Warn("oauth client authentication failed", "client", safeID(id))
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="brevduva"`)
		}
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials")
		return
	}
	scopes := c.Scopes
	if req := form.Get("scope"); req != "" {
		scopes = nil
		for _, want := range splitScope(req) {
			if !(Principal{Scopes: c.Scopes}).HasAny(want) {
				oauthError(w, http.StatusBadRequest, "invalid_scope", "scope not allowed for this client")
				return
			}
			scopes = append(scopes, want)
		}
	}
	now := s.o.Now()
	cl := claims{Issuer: s.o.Issuer, Subject: c.ID, Tenant: c.Tenant,
		Scope: strings.Join(scopes, " "), IssuedAt: now.Unix(), Expires: now.Add(s.o.TTL).Unix(), ID: newJTI()}
	if c.FunctionAddresses != nil {
		cl.FunctionAddresses = &c.FunctionAddresses
	}
	tok, err := sign(s.o.Key, cl)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	s.o.Logger.Info("oauth token issued", "client", c.ID, "tenant", c.Tenant, "scope", strings.Join(scopes, " "))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(tokenResponse{AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int64(s.o.TTL / time.Second), Scope: strings.Join(scopes, " ")})
}

func (s *Server) authenticate(id, secret string) (client, bool) {
	c, ok := s.clients[id]
	h := sha256.Sum256([]byte(secret))
	if !ok {
		subtle.ConstantTimeCompare(h[:], h[:]) // same work for unknown ids
		return client{}, false
	}
	return c, subtle.ConstantTimeCompare(h[:], c.secret[:]) == 1
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// safeID keeps a presented client id loggable (bounded, printable).
func safeID(id string) string {
	if len(id) > 64 {
		id = id[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, id)
}

// ErrNoToken is returned by Authenticate when the request carries no bearer token.
var ErrNoToken = errors.New("oauth: no bearer token")

// BearerToken returns the bearer token of r (RFC 6750 §2.1), or ErrNoToken. Only the
// Authorization header counts: never a cookie, a form field or the query (§2.2, §2.3),
// so a browser cannot be made to send a credential it did not put there (no CSRF).
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", ErrNoToken
	}
	return strings.TrimSpace(tok), nil
}

// Authenticate reads the bearer token of r (BearerToken) and verifies it: ErrNoToken
// or ErrInvalidToken (wrapped).
func (v *Verifier) Authenticate(r *http.Request) (Principal, error) {
	tok, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	return v.Verify(tok)
}

// Authenticator checks the bearer token of a request (Verifier, core/oidc.Verifier).
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// FirstOf tries each authenticator in turn and returns the first principal. A request
// without a token is ErrNoToken; a token none accepts is the last refusal.
type FirstOf []Authenticator

// Authenticate implements Authenticator.
func (f FirstOf) Authenticate(r *http.Request) (Principal, error) {
	if _, err := BearerToken(r); err != nil {
		return Principal{}, err
	}
	err := error(ErrInvalidToken)
	for _, a := range f {
		var p Principal
		if p, err = a.Authenticate(r); err == nil {
			return p, nil
		}
	}
	return Principal{}, err
}
