package sdkapi

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/core/xmldsig"
)

// The remote signer (Brevduva extension, scope urn:brevduva:api:sign): a client that seals
// an XHE itself (end-to-end mode, e.g. the browser) but does not hold the organisation's
// O2O key asks the server to sign the SHA-256 (or SHA-512) digest of the canonical
// ds:SignedInfo (XMLDSig 1.1 §3.1.2: the SignatureValue is computed over SignedInfo only).
// The server never sees the document, so it learns neither plaintext nor ciphertext, and
// the key never leaves it (a file on the local system, KMS on AWS):
//
//	POST /sdk/signatures  {"data":{"type":"signatures","attributes":{
//	      "messageId":"…","digestAlgorithm":"http://www.w3.org/2001/04/xmlenc#sha256","digestValue":"base64"}}}
//	→ 200 {"data":{"type":"signatures","attributes":{"messageId":"…",
//	      "signatureAlgorithm":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
//	      "signatureValue":"base64","certificates":["base64 DER, leaf first",…]}}}
//
// The tenant comes from the token only. messageId names the message the signature is for;
// it is what the log records (never the digest), and each tenant may ask for at most
// Options.SignPerMinute signatures a minute (429 beyond).

// TypeSignatures is the JSON:API type of a remote-signer request and response.
const TypeSignatures = "signatures"

// DefaultSignPerMinute is the remote signer's per-tenant limit unless Options.SignPerMinute says otherwise.
const DefaultSignPerMinute = 120

// ProblemTooManyRequests is the problem type of a refused rate (RFC 6585 §4), in the
// pattern of DIGG's problem types (⚠U spec-facts §i).
const ProblemTooManyRequests = "urn:problem-type:sdk:tooManyRequests"

// maxSignBody caps a signature request: a digest and a message id.
const maxSignBody = 4096

// SigningKey is a tenant's O2O signing key and its certificate chain, leaf first.
type SigningKey struct {
	Key   crypto.Signer
	Chain []*x509.Certificate
}

// SigningKeys finds the signing key of a tenant; ErrNotFound when the tenant has none on
// the server.
type SigningKeys interface {
	SigningKey(ctx context.Context, tenant string) (SigningKey, error)
}

// KeyMap is SigningKeys over a map from tenant to key.
type KeyMap map[string]SigningKey

// SigningKey implements SigningKeys.
func (m KeyMap) SigningKey(_ context.Context, tenant string) (SigningKey, error) {
	k, ok := m[tenant]
	if !ok || k.Key == nil || len(k.Chain) == 0 {
		return SigningKey{}, fmt.Errorf("sdkapi: tenant %s: no signing key on the server: %w", tenant, ErrNotFound)
	}
	return k, nil
}

// SignAttributes are the attributes of a remote-signer request and its answer.
type SignAttributes struct {
	MessageID          string   `json:"messageId"`
	DigestAlgorithm    string   `json:"digestAlgorithm,omitempty"`
	DigestValue        []byte   `json:"digestValue,omitempty"`
	SignatureAlgorithm string   `json:"signatureAlgorithm,omitempty"`
	SignatureValue     []byte   `json:"signatureValue,omitempty"`
	Certificates       [][]byte `json:"certificates,omitempty"`
}

// SignResource is a signatures resource.
type SignResource struct {
	Type       string         `json:"type"`
	Attributes SignAttributes `json:"attributes"`
}

// signDigests are the digest methods the remote signer accepts (SHA-1 is refused: XMLDSig
// 1.1 §6.2 says it should not be used for new signatures).
var signDigests = map[xmldsig.DigestMethod]bool{xmldsig.SHA256: true, xmldsig.SHA512: true}

func (h *handler) sign(w http.ResponseWriter, r *http.Request) {
	const op = "signDigest"
	if r.Method != http.MethodPost {
		h.methodNotAllowed(w, r, "POST")
		return
	}
	p, ok := h.auth(w, r, op, oauth.ScopeSign)
	if !ok {
		return
	}
	a, hash, pr := readSignRequest(w, r)
	if pr != nil {
		h.o.Logger.Info("remote signer refused", "tenant", p.Tenant, "client", p.ClientID, "messageId", a.MessageID, "reason", pr.Detail)
		writeProblem(w, r, *pr)
		return
	}
	if !h.limiter.allow(p.Tenant, h.o.Now()) {
		h.o.Logger.Warn("remote signer rate exceeded", "tenant", p.Tenant, "client", p.ClientID, "messageId", a.MessageID)
		w.Header().Set("Retry-After", "60")
		writeProblem(w, r, Problem{Type: ProblemTooManyRequests, Title: "Too Many Requests", Status: http.StatusTooManyRequests,
			Detail: fmt.Sprintf("at most %d signatures a minute", h.limiter.perMinute)})
		return
	}
	out, err := signDigest(r.Context(), h.o.Signer, p.Tenant, a, hash)
	if errors.Is(err, ErrNotFound) {
		h.o.Logger.Info("remote signer refused", "tenant", p.Tenant, "client", p.ClientID, "messageId", a.MessageID, "reason", "no signing key")
		writeProblem(w, r, Problem{Type: ProblemNotFound, Status: http.StatusNotFound, Detail: "the organisation has no signing key on this server"})
		return
	}
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	h.o.Logger.Info("remote signer signed", "tenant", p.Tenant, "client", p.ClientID, "messageId", a.MessageID, "algorithm", out.SignatureAlgorithm)
	h.write(w, http.StatusOK, Document[SignResource]{Meta: &Meta{Version: Version}, Data: SignResource{Type: TypeSignatures, Attributes: out}})
}

// readSignRequest decodes and checks a signature request: a known digest algorithm, a
// digest of its length, a message id.
func readSignRequest(w http.ResponseWriter, r *http.Request) (SignAttributes, crypto.Hash, *Problem) {
	bad := func(in, title string) *Problem {
		return &Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: title,
			EventIssues: []EventIssue{{TypeCode: "invalid", Title: title, In: in}}}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != MediaType && mt != "application/json" {
		return SignAttributes{}, 0, &Problem{Type: ProblemUnsupportedMedia, Status: http.StatusUnsupportedMediaType, Detail: "send " + MediaType}
	}
	var doc struct {
		Data *SignResource `json:"data"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSignBody))
	if err := dec.Decode(&doc); err != nil {
		return SignAttributes{}, 0, bad("body", "the body is not a signature request: "+err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return SignAttributes{}, 0, bad("body", "trailing data after the document")
	}
	if doc.Data == nil || doc.Data.Type != TypeSignatures {
		return SignAttributes{}, 0, bad("data.type", `data of type "signatures" required`)
	}
	a := doc.Data.Attributes
	if a.MessageID == "" || len(a.MessageID) > 255 {
		return a, 0, bad("data.attributes.messageId", "messageId of 1 to 255 characters required")
	}
	m := xmldsig.DigestMethod(a.DigestAlgorithm)
	hash, err := xmldsig.Hash(m)
	if err != nil || !signDigests[m] {
		return a, 0, bad("data.attributes.digestAlgorithm", "digestAlgorithm must be "+string(xmldsig.SHA256)+" or "+string(xmldsig.SHA512))
	}
	if len(a.DigestValue) != hash.Size() {
		return a, 0, bad("data.attributes.digestValue", fmt.Sprintf("digestValue must be %d bytes for %s, not %d", hash.Size(), hash, len(a.DigestValue)))
	}
	return a, hash, nil
}

// signDigest signs the digest with the tenant's key: RSA PKCS#1 v1.5 or ECDSA (ASN.1, which
// core/xmldsig converts to XMLDSig's r||s form).
func signDigest(ctx context.Context, keys SigningKeys, tenant string, a SignAttributes, hash crypto.Hash) (SignAttributes, error) {
	k, err := keys.SigningKey(ctx, tenant)
	if err != nil {
		return SignAttributes{}, err
	}
	alg, err := signatureMethod(k.Key.Public(), hash)
	if err != nil {
		return SignAttributes{}, err
	}
	sig, err := k.Key.Sign(nil, a.DigestValue, hash)
	if err != nil {
		return SignAttributes{}, fmt.Errorf("sdkapi: remote signer: %w", err)
	}
	out := SignAttributes{MessageID: a.MessageID, SignatureAlgorithm: string(alg), SignatureValue: sig}
	for _, c := range k.Chain {
		out.Certificates = append(out.Certificates, c.Raw)
	}
	return out, nil
}

func signatureMethod(pub crypto.PublicKey, hash crypto.Hash) (xmldsig.SignatureMethod, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		if hash == crypto.SHA512 {
			return xmldsig.RSASHA512, nil
		}
		return xmldsig.RSASHA256, nil
	case *ecdsa.PublicKey:
		if hash == crypto.SHA256 {
			return xmldsig.ECDSASHA256, nil
		}
	}
	return "", fmt.Errorf("sdkapi: remote signer: %T with %s: %w", pub, hash, ErrInvalid)
}

// rateLimiter is a token bucket per tenant: perMinute tokens, refilled continuously.
type rateLimiter struct {
	perMinute int
	mu        sync.Mutex
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perMinute int) *rateLimiter {
	if perMinute <= 0 {
		perMinute = DefaultSignPerMinute
	}
	return &rateLimiter{perMinute: perMinute, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) allow(tenant string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[tenant]
	if !ok {
		b = &bucket{tokens: float64(l.perMinute), at: now}
		l.buckets[tenant] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(l.perMinute), b.tokens+d.Minutes()*float64(l.perMinute))
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
