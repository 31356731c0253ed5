package smp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/httpcache"
)

// ServerOptions configure a Server.
type ServerOptions struct {
	Store  Store
	Signer Signer
	// BaseURL is the public URL of the SMP (what the SML's NAPTR record points to); the
	// ServiceGroup's references are built from it, and requests are served below its path.
	BaseURL *url.URL
	// Admin credentials: a bearer token, or a basic-auth user and password. At least one.
	AdminToken               string
	AdminUser, AdminPassword string
	// Cache sets Cache-Control of the public answers (zero: httpcache's defaults, 5 min
	// and 1 min for 404; Disabled: no-store). Admin answers are always no-store.
	Cache httpcache.Policy
}

// Server serves ServiceGroup and SignedServiceMetadata (SMP1 §3.4; SMP TAD v1.07:
// text/xml, 200/404/500) with Cache-Control by ServerOptions.Cache and a strong ETag over
// the bytes as signed (If-None-Match → 304; RFC 9110 §13.1.2; RSA and Ed25519 signatures
// are deterministic, so the tag is stable; an ECDSA signer's randomised signatures change
// it on every answer and no revalidation ever matches), and, below {base}/admin/participants/, an authenticated JSON
// admin API:
//
//	GET    …/admin/participants/{participant}               → the registration
//	PUT    …/admin/participants/{participant}               ← registration (create or replace)
//	PUT    …/admin/participants/{participant}/certificates  ← CertPub certificates only
//	DELETE …/admin/participants/{participant}
type Server struct {
	opt      ServerOptions
	basePath string
}

// NewServer checks o and returns a Server.
func NewServer(o ServerOptions) (*Server, error) {
	if o.Store == nil || o.Signer.Key == nil || len(o.Signer.Chain) == 0 {
		return nil, fmt.Errorf("%w: server needs a store and a signer", ErrInvalid)
	}
	if _, err := baseString(o.BaseURL); err != nil {
		return nil, err
	}
	if o.AdminToken == "" && (o.AdminUser == "" || o.AdminPassword == "") {
		return nil, fmt.Errorf("%w: server needs admin credentials", ErrInvalid)
	}
	return &Server{opt: o, basePath: strings.TrimSuffix(o.BaseURL.EscapedPath(), "/")}, nil
}

const adminPrefix = "/admin/participants/"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w = s.opt.Cache.Writer(w)
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, s.basePath+"/") {
		http.NotFound(w, r)
		return
	}
	p = strings.TrimPrefix(p, s.basePath)
	if strings.HasPrefix(p, adminPrefix) {
		w.Header().Set("Cache-Control", httpcache.NoStore)
		s.admin(w, r, strings.TrimPrefix(p, adminPrefix))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	participant, document, err := SplitPath(p)
	if err != nil {
		s.fail(w, err)
		return
	}
	var body []byte
	if document == nil {
		body, err = s.ServiceGroupXML(r.Context(), participant)
	} else {
		body, err = s.SignedServiceMetadataXML(r.Context(), participant, *document)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	etag := httpcache.ETag(body)
	w.Header().Set("ETag", etag)
	if httpcache.NotModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// fail maps errors to status codes; detail of server errors is not shown to peers.
func (s *Server) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	case errors.Is(err, ErrInvalid):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, ErrUnauthorized):
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	default:
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// ServiceGroupXML returns the ServiceGroup document of participant.
func (s *Server) ServiceGroupXML(ctx context.Context, participant Identifier) ([]byte, error) {
	reg, err := s.opt.Store.Get(ctx, participant)
	if err != nil {
		return nil, err
	}
	sg := &ServiceGroup{Participant: reg.Participant}
	for _, svc := range reg.Services {
		u, err := ServiceMetadataURL(s.opt.BaseURL, reg.Participant, svc.Document)
		if err != nil {
			return nil, err
		}
		sg.References = append(sg.References, u)
	}
	el, err := sg.Element()
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(el)
	return doc.WriteToBytes()
}

// SignedServiceMetadataXML returns the signed metadata of participant for document,
// with the CertPub extension when certificates are registered.
func (s *Server) SignedServiceMetadataXML(ctx context.Context, participant, document Identifier) ([]byte, error) {
	reg, err := s.opt.Store.Get(ctx, participant)
	if err != nil {
		return nil, err
	}
	for _, svc := range reg.Services {
		if svc.Document.Key() != document.Key() {
			continue
		}
		si := &ServiceInformation{Participant: reg.Participant, Document: svc.Document,
			Processes: []Process{{ID: svc.Process, Endpoints: svc.Endpoints}}}
		if len(reg.Certificates) > 0 {
			content, err := certpub.Element(reg.Certificates)
			if err != nil {
				return nil, fmt.Errorf("smp: certpub: %w", err)
			}
			si.Extensions = []Extension{{ID: certpub.ExtensionID, Content: content}}
		}
		return s.opt.Signer.Sign(&ServiceMetadata{Information: si})
	}
	return nil, fmt.Errorf("smp: %s has no document %s: %w", participant, document, ErrNotFound)
}

// authorized compares credentials in constant time (over SHA-256 digests, so that
// lengths do not leak either).
func (s *Server) authorized(r *http.Request) bool {
	eq := func(a, b string) bool {
		ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
		return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
	}
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok && s.opt.AdminToken != "" {
		return eq(tok, s.opt.AdminToken)
	}
	if u, p, ok := r.BasicAuth(); ok && s.opt.AdminUser != "" && s.opt.AdminPassword != "" {
		return eq(u, s.opt.AdminUser) && eq(p, s.opt.AdminPassword)
	}
	return false
}

// MaxAdminBody caps admin request bodies.
const MaxAdminBody = 1 << 20

func (s *Server) admin(w http.ResponseWriter, r *http.Request, rest string) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="smp-admin", Basic realm="smp-admin"`)
		s.fail(w, ErrUnauthorized)
		return
	}
	seg, certsOnly := strings.CutSuffix(rest, "/certificates")
	if seg == "" || strings.Contains(seg, "/") {
		http.NotFound(w, r)
		return
	}
	raw, err := url.PathUnescape(seg)
	if err != nil {
		s.fail(w, fmt.Errorf("%w: %w", ErrInvalid, err))
		return
	}
	participant, err := ParseParticipant(raw)
	if err != nil {
		s.fail(w, err)
		return
	}
	ctx := r.Context()
	switch {
	case r.Method == http.MethodGet && !certsOnly:
		reg, err := s.opt.Store.Get(ctx, participant)
		if err != nil {
			s.fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(registrationJSON(reg))
	case r.Method == http.MethodDelete && !certsOnly:
		if err := s.opt.Store.Delete(ctx, participant); err != nil {
			s.fail(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut:
		var in AdminRegistration
		dec := json.NewDecoder(io.LimitReader(r.Body, MaxAdminBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			s.fail(w, fmt.Errorf("%w: body: %w", ErrInvalid, err))
			return
		}
		reg, err := in.registration(participant)
		if err != nil {
			s.fail(w, err)
			return
		}
		if certsOnly {
			old, err := s.opt.Store.Get(ctx, participant)
			if err != nil {
				s.fail(w, err)
				return
			}
			old.Certificates = reg.Certificates
			reg = old
		}
		if err := reg.Validate(); err != nil {
			s.fail(w, err)
			return
		}
		if err := s.opt.Store.Put(ctx, reg); err != nil {
			s.fail(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// AdminRegistration is the JSON body of the admin API.
type AdminRegistration struct {
	Services     []AdminService     `json:"services"`
	Certificates []AdminCertificate `json:"certificates,omitempty"`
}

// AdminIdentifier is an identifier in JSON; an empty scheme takes the default.
type AdminIdentifier struct {
	Scheme string `json:"scheme,omitempty"`
	Value  string `json:"value"`
}

// AdminService is one document type. Process defaults to SDK's bdx:noprocess.
type AdminService struct {
	Document  AdminIdentifier  `json:"document"`
	Process   *AdminIdentifier `json:"process,omitempty"`
	Endpoints []AdminEndpoint  `json:"endpoints"`
}

// AdminEndpoint is one endpoint; Certificate is PEM or base64 DER. TransportProfile
// defaults to TransportProfileSDK.
type AdminEndpoint struct {
	TransportProfile              string     `json:"transportProfile,omitempty"`
	URL                           string     `json:"url"`
	Certificate                   string     `json:"certificate"`
	RequireBusinessLevelSignature bool       `json:"requireBusinessLevelSignature,omitempty"`
	Activation                    *time.Time `json:"activation,omitempty"`
	Expiration                    *time.Time `json:"expiration,omitempty"`
	Description                   string     `json:"description,omitempty"`
	TechnicalContactURL           string     `json:"technicalContactUrl,omitempty"`
	TechnicalInformationURL       string     `json:"technicalInformationUrl,omitempty"`
}

// AdminCertificate is a CertPub certificate: Use "signing", "encryption" or the full code.
type AdminCertificate struct {
	Use         string `json:"use"`
	Certificate string `json:"certificate"`
}

func parseCertText(s string) (*x509.Certificate, error) {
	der := []byte(nil)
	if b, _ := pem.Decode([]byte(s)); b != nil {
		der = b.Bytes
	} else {
		d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, fmt.Errorf("%w: certificate is neither PEM nor base64: %w", ErrInvalid, err)
		}
		der = d
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %w", ErrInvalid, err)
	}
	return c, nil
}

func (a AdminRegistration) registration(p Identifier) (*Registration, error) {
	reg := &Registration{Participant: p}
	for _, s := range a.Services {
		svc := Service{
			Document: Identifier{Scheme: s.Document.Scheme, Value: s.Document.Value},
			Process:  Identifier{Scheme: SchemeProcess, Value: ProcessNone},
		}
		if svc.Document.Scheme == "" {
			svc.Document.Scheme = SchemeDocument
		}
		if s.Process != nil {
			svc.Process = Identifier{Scheme: s.Process.Scheme, Value: s.Process.Value}
		}
		for _, e := range s.Endpoints {
			c, err := parseCertText(e.Certificate)
			if err != nil {
				return nil, err
			}
			ep := Endpoint{
				TransportProfile: TransportProfile(e.TransportProfile), URI: e.URL, CertificateDER: c.Raw,
				RequireBusinessLevelSignature: e.RequireBusinessLevelSignature,
				Description:                   e.Description, TechnicalContactURL: e.TechnicalContactURL,
				TechnicalInformationURL: e.TechnicalInformationURL,
			}
			if ep.TransportProfile == "" {
				ep.TransportProfile = TransportProfileSDK
			}
			if e.Activation != nil {
				ep.ActivationDate = *e.Activation
			}
			if e.Expiration != nil {
				ep.ExpirationDate = *e.Expiration
			}
			svc.Endpoints = append(svc.Endpoints, ep)
		}
		reg.Services = append(reg.Services, svc)
	}
	for _, c := range a.Certificates {
		use := certpub.Use(c.Use)
		switch c.Use {
		case "signing":
			use = certpub.Signing
		case "encryption":
			use = certpub.Encryption
		}
		cert, err := parseCertText(c.Certificate)
		if err != nil {
			return nil, err
		}
		reg.Certificates = append(reg.Certificates, certpub.Certificate{Use: use, Cert: cert})
	}
	return reg, nil
}

func registrationJSON(r *Registration) AdminRegistration {
	var out AdminRegistration
	for _, s := range r.Services {
		as := AdminService{Document: AdminIdentifier{s.Document.Scheme, s.Document.Value},
			Process: &AdminIdentifier{s.Process.Scheme, s.Process.Value}}
		for _, e := range s.Endpoints {
			ae := AdminEndpoint{TransportProfile: string(e.TransportProfile), URL: e.URI,
				Certificate:                   base64.StdEncoding.EncodeToString(e.CertificateDER),
				RequireBusinessLevelSignature: e.RequireBusinessLevelSignature, Description: e.Description,
				TechnicalContactURL: e.TechnicalContactURL, TechnicalInformationURL: e.TechnicalInformationURL}
			if !e.ActivationDate.IsZero() {
				t := e.ActivationDate
				ae.Activation = &t
			}
			if !e.ExpirationDate.IsZero() {
				t := e.ExpirationDate
				ae.Expiration = &t
			}
			as.Endpoints = append(as.Endpoints, ae)
		}
		out.Services = append(out.Services, as)
	}
	for _, c := range r.Certificates {
		out.Certificates = append(out.Certificates, AdminCertificate{Use: string(c.Use),
			Certificate: base64.StdEncoding.EncodeToString(c.Cert.Raw)})
	}
	return out
}
