// Package localsys is Brevduva's local all-in-one system, what `brevduva serve` runs:
// one or more tenants, each an access point with its AS4 endpoint over HTTPS and mutual
// TLS on its own port, the access point engine (core/msh) with its workers, and on one
// shared port the SDK API MT/MK (core/sdkapi) with its OAuth 2.0 token endpoint
// (core/oauth), the SMP with CertPub (core/smp), the address book (core/addressbook)
// and /healthz. A DNS server on 127.0.0.1 (infra/dns/dnstest) publishes the BDXL
// records of every participant, so that discovery runs as it does against an SML.
// State lives in one data folder (infra/local: bbolt and files) and survives restarts.
//
// The SMP, DNS and address book content is derived from the configuration at every
// start; only messages are state (and the installation's token signing key,
// data/oauth-ed25519.seed).
//
// Each tenant has its own engine over the shared stores (all tenant-scoped), because
// the AS4 transport presents the tenant's own TLS client certificate. The SDK API
// reaches a tenant's engine only through the tenant of the caller's token.
//
// The test bed (TestParticipant) publishes participants whose failures a sender can
// try: an AP where nothing listens, an expired CertPub certificate, an AP certificate
// outside the AP CA, and TLS endpoints with an expired and a wrong-CA certificate.
package localsys

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/infra/httpx"
)

// Config is the JSON configuration of `brevduva serve`. Relative paths are relative to
// the folder of the configuration file.
type Config struct {
	DataDir string `json:"dataDir"`
	// Listen is the shared HTTP address (SDK API, token endpoint, SMP, address book,
	// /healthz); e.g. "127.0.0.1:18080". Port 0 picks a free port.
	Listen string `json:"listen"`
	// PublicHost is the host name in the URLs of the shared port (default "localhost").
	PublicHost string `json:"publicHost,omitempty"`
	// Web, when set, serves the shared port over HTTPS with this certificate; it must name
	// PublicHost and SMPHost and chain to the TLS CA (the engines reach the SMP with it).
	Web *KeyPair `json:"web,omitempty"`
	// SMPHost is the host name of the SMP in the SML records (resolved by the local DNS).
	SMPHost string `json:"smpHost"`
	// Zone is the SML zone the local DNS publishes (BDXL U-NAPTR, spec-facts §f).
	Zone string `json:"zone"`
	// Environment (demo CA certificates and the SMP signing key).
	PKI PKI `json:"pki"`
	// Tenants are the organisations served by this installation.
	Tenants []Tenant `json:"tenants"`
	// TestParticipants are registered in the SMP and the DNS only (the test bed).
	TestParticipants []TestParticipant `json:"testParticipants,omitempty"`
	// Retry overrides the PMode retry schedule ("interval-minutes;retries;CONSTANT").
	Retry string `json:"retry,omitempty"`
	// AuditRetentionMonths is how long the audit trail keeps entries (0: 12 months,
	// ⚠U spec-facts §k 25; docs/design/audit.md).
	AuditRetentionMonths int `json:"auditRetentionMonths,omitempty"`
	// OIDC, when set, is the sign-in at an external OpenID provider (oidc.go).
	OIDC *OIDC `json:"oidc,omitempty"`
	// CORSOrigins are origins of web pages elsewhere that may call the SDK API (CORS).
	CORSOrigins []string `json:"corsOrigins,omitempty"`
	// Admin are the credentials of the SMP and address book admin APIs, apart from the
	// SDK API's OAuth clients (empty: a random token at every start, so no admin access).
	Admin AdminCredentials `json:"admin,omitzero"`
	// TLS narrows the TLS of every AS4 endpoint, AS4 client, SMP client and the HTTPS
	// shared port (AS4_CP_TA39); empty: TLS 1.2+ with ECDHE AEAD suites (⚠U spec-facts §k 20).
	TLS TLSSettings `json:"tls,omitzero"`
	// ReceiptTimeout is how long a sent message may wait for its Meddelandekvittens before
	// it ends MESSAGE_EXCHANGE_ERROR (a Go duration such as "72h"; empty: wait for ever,
	// ⚠U spec-facts §k 17). An end-to-end recipient answers only when a person opens the
	// message, so keep it long.
	ReceiptTimeout string `json:"receiptTimeout,omitempty"`
	// SenderDomainCheck is what delivery does when From/PartyId and originalSender differ
	// in top domain: "log" (default) or "enforce" (⚠U spec-facts §k 22).
	SenderDomainCheck string `json:"senderDomainCheck,omitempty"`
	// CRLURLs are CRLs fetched over HTTP (infra/crl) and checked for every peer AP and
	// O2O certificate (RFC 5280 §6.3), fail closed: a CRL never fetched or past its
	// nextUpdate refuses the certificates it covers (docs/design/crl.md). A URL that
	// starts with "/" is on this system's shared port (the demo publishes its AP CA's).
	CRLURLs []string `json:"crlUrls,omitempty"`
	// PublishCRLs are CRL files (DER or PEM) served on the shared port at
	// /crl/<file name>: the demo CA's CRL distribution point.
	PublishCRLs []string `json:"publishCrls,omitempty"`
}

// AdminCredentials are the bearer tokens of the admin APIs (core/smp, core/addressbook).
type AdminCredentials struct {
	SMPToken         string `json:"smpToken,omitempty"`
	AddressBookToken string `json:"addressBookToken,omitempty"`
}

// TLSSettings are the configurable TLS parameters (infra/httpx.TLSPolicy).
type TLSSettings struct {
	MinVersion   string   `json:"minVersion,omitempty"`   // "1.2" or "1.3"
	CipherSuites []string `json:"cipherSuites,omitempty"` // TLS 1.2 suite names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
}

// senderDomainCheck maps the configured value to the engine's option.
var senderDomainCheck = map[string]msh.SenderDomainCheck{"": msh.SenderDomainLog, "log": msh.SenderDomainLog, "enforce": msh.SenderDomainEnforce}

// PKI names the environment's CA certificates and the SMP signing key pair.
type PKI struct {
	APCA  string  `json:"apCA"`  // AS4 layer roots (peer AP certificates)
	SMPCA string  `json:"smpCA"` // SMP signature roots
	O2OCA string  `json:"o2oCA"` // optional chain check of CertPub certificates
	TLSCA string  `json:"tlsCA"` // mutual TLS roots (SITHS in DIGG's environments)
	SMP   KeyPair `json:"smp"`
}

// KeyPair is a PEM certificate (chain) and its PEM private key.
type KeyPair struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// Tenant is one organisation with its own access point.
type Tenant struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Participant string `json:"participant"` // "0203:…"
	OrgNumber   string `json:"organizationNumber,omitempty"`
	APPartyID   string `json:"apPartyId"` // CN of the AS4 certificate
	// AS4Listen is where the AS4 endpoint listens ("127.0.0.1:18441"; port 0: free);
	// AS4Host the host name in its URL, published in the local DNS.
	AS4Listen string  `json:"as4Listen"`
	AS4Host   string  `json:"as4Host"`
	AS4       KeyPair `json:"as4"`
	O2O       KeyPair `json:"o2o"`
	TLS       KeyPair `json:"tls"` // server and client certificate of mutual TLS
	// EndToEnd leaves the O2O key out of the engine: clients seal and open themselves.
	EndToEnd          bool              `json:"endToEnd,omitempty"`
	FunctionAddresses []FunctionAddress `json:"functionAddresses"`
	Clients           []Client          `json:"clients"`
}

// FunctionAddress is a mailbox of a tenant (XHE HandlingServiceID).
type FunctionAddress struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Client is an OAuth client of the SDK API.
type Client struct {
	ID     string   `json:"id"`
	Secret string   `json:"secret"`
	Scopes []string `json:"scopes,omitempty"` // nil: every scope
	// FunctionAddresses, when set, are the only mailboxes the client's tokens open.
	FunctionAddresses []string `json:"functionAddresses,omitempty"`
}

// TestParticipant is a participant published in the SMP and DNS without an engine
// behind it: the test bed's negative cases.
type TestParticipant struct {
	Participant string `json:"participant"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Endpoint is the AS4 URL published; "tenant:ID" means that tenant's endpoint.
	Endpoint string `json:"endpoint"`
	APCert   string `json:"apCert"`  // AS4 certificate published in the SMP
	O2OCert  string `json:"o2oCert"` // CertPub certificate
	// Serve, when set, runs a TLS listener with this certificate at EndpointListen (the
	// handshake is the test: expired or wrong-CA server certificates).
	Serve          *KeyPair `json:"serve,omitempty"`
	EndpointListen string   `json:"endpointListen,omitempty"`
	EndpointHost   string   `json:"endpointHost,omitempty"`
	// Expect is what a sender should see (documentation for the test bed's users).
	Expect string `json:"expect"`
}

// LoadConfig reads a configuration file and resolves its relative paths.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localsys: config: %w", err)
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("localsys: config %s: %w", path, err)
	}
	c.resolve(filepath.Dir(path))
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("localsys: config %s: %w", path, err)
	}
	return &c, nil
}

func (c *Config) resolve(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	pair := func(k *KeyPair) {
		if k != nil {
			abs(&k.Cert)
			abs(&k.Key)
		}
	}
	abs(&c.DataDir)
	pair(c.Web)
	abs(&c.PKI.APCA)
	abs(&c.PKI.SMPCA)
	abs(&c.PKI.O2OCA)
	abs(&c.PKI.TLSCA)
	pair(&c.PKI.SMP)
	for i := range c.PublishCRLs {
		abs(&c.PublishCRLs[i])
	}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		pair(&t.AS4)
		pair(&t.O2O)
		pair(&t.TLS)
	}
	for i := range c.TestParticipants {
		p := &c.TestParticipants[i]
		abs(&p.APCert)
		abs(&p.O2OCert)
		pair(p.Serve)
	}
}

// Validate reports every missing or inconsistent setting.
func (c *Config) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	if c.DataDir == "" || c.Listen == "" || c.SMPHost == "" || c.Zone == "" {
		bad("dataDir, listen, smpHost and zone are required")
	}
	if c.PKI.APCA == "" || c.PKI.SMPCA == "" || c.PKI.TLSCA == "" || c.PKI.SMP.Cert == "" || c.PKI.SMP.Key == "" {
		bad("pki: apCA, smpCA, tlsCA and smp are required")
	}
	if len(c.Tenants) == 0 {
		bad("no tenants")
	}
	ids, parts, clients := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, t := range c.Tenants {
		if t.ID == "" || ids[t.ID] {
			bad("tenant id %q empty or repeated", t.ID)
		}
		ids[t.ID] = true
		if !strings.HasPrefix(t.Participant, "0203:") || parts[strings.ToLower(t.Participant)] {
			bad("tenant %s: participant %q must be 0203:… and unique", t.ID, t.Participant)
		}
		parts[strings.ToLower(t.Participant)] = true
		if t.APPartyID == "" || t.AS4Listen == "" || t.AS4Host == "" || t.AS4.Cert == "" || t.TLS.Cert == "" {
			bad("tenant %s: apPartyId, as4Listen, as4Host, as4 and tls are required", t.ID)
		}
		if !t.EndToEnd && t.O2O.Key == "" {
			bad("tenant %s: o2o key required unless endToEnd", t.ID)
		}
		if t.O2O.Cert == "" {
			bad("tenant %s: o2o certificate required", t.ID)
		}
		if len(t.FunctionAddresses) == 0 {
			bad("tenant %s: no function addresses", t.ID)
		}
		for _, cl := range t.Clients {
			if cl.ID == "" || cl.Secret == "" || clients[cl.ID] {
				bad("tenant %s: client %q needs a unique id and a secret", t.ID, cl.ID)
			}
			clients[cl.ID] = true
		}
	}
	for _, p := range c.TestParticipants {
		if !strings.HasPrefix(p.Participant, "0203:") || parts[strings.ToLower(p.Participant)] || p.Endpoint == "" || p.APCert == "" {
			bad("test participant %q: 0203:… unique, endpoint and apCert required", p.Participant)
		}
		parts[strings.ToLower(p.Participant)] = true
		if p.Serve != nil && (p.EndpointListen == "" || p.EndpointHost == "") {
			bad("test participant %s: serve needs endpointListen and endpointHost", p.Participant)
		}
	}
	for _, u := range c.CRLURLs {
		if !strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			bad("crlUrls: %q is neither http(s):// nor a path on the shared port", u)
		}
	}
	if _, err := httpx.ParseTLSPolicy(c.TLS.MinVersion, c.TLS.CipherSuites); err != nil {
		bad("tls: %v", err)
	}
	if _, ok := senderDomainCheck[c.SenderDomainCheck]; !ok {
		bad("senderDomainCheck %q: want log or enforce", c.SenderDomainCheck)
	}
	if a := c.Admin; a.SMPToken != "" && a.SMPToken == a.AddressBookToken {
		bad("admin: the SMP and address book tokens must differ")
	}
	for _, t := range c.Tenants {
		for _, cl := range t.Clients {
			if cl.Secret != "" && (cl.Secret == c.Admin.SMPToken || cl.Secret == c.Admin.AddressBookToken) {
				bad("admin: a token equals the secret of client %s", cl.ID)
			}
		}
	}
	if c.OIDC != nil {
		if err := c.OIDC.validate(); err != nil {
			bad("%v", err)
		}
	}
	if c.Retry != "" {
		if _, err := parseRetry(c.Retry); err != nil {
			bad("retry: %v", err)
		}
	}
	if _, err := c.receiptTimeout(); err != nil {
		bad("%v", err)
	}
	return errors.Join(errs...)
}

// receiptTimeout is ReceiptTimeout parsed (0 when empty).
func (c *Config) receiptTimeout() (time.Duration, error) {
	if c.ReceiptTimeout == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(c.ReceiptTimeout)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("receiptTimeout %q: want a positive duration such as 72h", c.ReceiptTimeout)
	}
	return d, nil
}
