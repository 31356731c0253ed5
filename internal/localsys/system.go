package localsys

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/addressbook"
	"github.com/brevduva/brevduva/core/addressbook/addressbooktest"
	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/sdkapi"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/smp/smptest"
	"github.com/brevduva/brevduva/infra/dns"
	"github.com/brevduva/brevduva/infra/dns/dnstest"
	"github.com/brevduva/brevduva/infra/httpx"
	"github.com/brevduva/brevduva/infra/local"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/web"
)

// Paths on the shared port.
const (
	PathToken       = "/oauth2/token"
	PathSDKAPI      = "/sdk-api/v1" // as DIGG's guide: https://open-test.digg.se/sdk-api/v1/
	PathSMP         = "/smp/"
	PathAddressBook = addressbook.DefaultBasePath
	PathHealth      = "/healthz"
	PathAS4         = "/as4"
)

// TokenIssuer is the iss of the access tokens: the same across restarts and port
// changes (the installation's key tells installations apart).
const TokenIssuer = "urn:brevduva:local"

// queueMaxAttempts is the poison-message backstop of the local queue; it must exceed
// the PMode retries plus the grace-period nacks (core/msh, the send path).
const queueMaxAttempts = 200

// Options tune Start; the zero value is what `brevduva serve` uses.
type Options struct {
	Logger *slog.Logger // nil: discard
	// PollInterval and Retry tune the engines (tests); zero: the engine's defaults.
	PollInterval time.Duration
	Retry        *msh.RetryPolicy
	// WrapTransport, when set, wraps each tenant's AS4 transport (tests record traffic).
	WrapTransport func(tenant string, t msh.Transport) msh.Transport
	// Configure, when set, changes each tenant's engine options just before its engine is
	// made (fault tests wrap the ports and shorten the lease and delays).
	Configure func(tenant string, o *msh.EngineOptions)
}

// System is a running local system.
type System struct {
	cfg        *Config
	log        *slog.Logger
	db         *bolt.DB
	auditDB    *bolt.DB // DATA/audit.db, the audit trail (audit.go)
	dns        *dnstest.Server
	pending    []net.Listener
	transports []*httpx.Transport
	live       []*http.Server
	serveWG    sync.WaitGroup
	cancel     context.CancelFunc
	workers    sync.WaitGroup
	engines    map[string]*msh.Engine
	desc       Description
	closeMu    sync.Mutex
	closed     bool
}

// Description is what demo.json holds: how scripts and people reach each tenant.
type Description struct {
	WebURL           string            `json:"webURL"`
	SDKAPIBaseURL    string            `json:"sdkApiBaseURL"`
	TokenURL         string            `json:"tokenURL"`
	SMPURL           string            `json:"smpURL"`
	AddressBookURL   string            `json:"addressBookURL"`
	HealthURL        string            `json:"healthURL"`
	DNSServer        string            `json:"dnsServer"`
	SMLZone          string            `json:"smlZone"`
	Tenants          []TenantInfo      `json:"tenants"`
	TestParticipants []TestParticipant `json:"testParticipants,omitempty"`
	// Admin holds the admin APIs' URLs and tokens (demo.json only, never served).
	Admin *AdminInfo `json:"admin,omitempty"`
}

// AdminInfo tells where the SMP and address book admin APIs are and their bearer tokens.
type AdminInfo struct {
	SMPAdminURL         string `json:"smpAdminURL"`
	SMPToken            string `json:"smpToken"`
	AddressBookAdminURL string `json:"addressBookAdminURL"`
	AddressBookToken    string `json:"addressBookToken"`
}

// TenantInfo describes one tenant in demo.json.
type TenantInfo struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	Participant       string            `json:"participant"`
	WebURL            string            `json:"webURL"`
	SDKAPIBaseURL     string            `json:"sdkApiBaseURL"`
	TokenURL          string            `json:"tokenURL"`
	ClientID          string            `json:"clientId"`
	ClientSecret      string            `json:"clientSecret"`
	FunctionAddresses []FunctionAddress `json:"functionAddresses"`
	AS4EndpointURL    string            `json:"as4EndpointURL"`
	APPartyID         string            `json:"apPartyId"`
}

// Description returns the running system's URLs and tenants.
func (s *System) Description() Description { return s.desc }

// Engine returns a tenant's engine (tests).
func (s *System) Engine(tenant string) *msh.Engine { return s.engines[tenant] }

// WriteDescription writes the description as JSON to path (mode 0600: it holds secrets).
func (s *System) WriteDescription(path string) error {
	b, err := json.MarshalIndent(s.desc, "", "  ")
	if err != nil {
		return fmt.Errorf("localsys: description: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("localsys: description: %w", err)
	}
	return nil
}

// Start builds the system from cfg and starts serving. Stop it with Shutdown.
func Start(cfg *Config, o Options) (_ *System, err error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &System{cfg: cfg, log: log, engines: map[string]*msh.Engine{}}
	defer func() {
		if err != nil {
			s.abort()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("localsys: data dir: %w", err)
	}
	if s.db, err = local.OpenDB(filepath.Join(cfg.DataDir, "brevduva.db")); err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	auditKeys := &anchorKeys{}
	auditCfg := auditConfig{dataDir: cfg.DataDir, retentionMonths: cfg.AuditRetentionMonths}
	for _, t := range cfg.Tenants {
		auditCfg.tenants = append(auditCfg.tenants, t.ID)
	}
	auditLog, auditDB, err := openAudit(context.Background(), auditCfg, auditKeys, log)
	if err != nil {
		return nil, err
	}
	s.auditDB = auditDB
	files, err := local.NewFiles(filepath.Join(cfg.DataDir, "payloads"))
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	env, err := loadEnv(cfg)
	if err != nil {
		return nil, err
	}
	oauthKey, err := installKey(filepath.Join(cfg.DataDir, "oauth-ed25519.seed"))
	if err != nil {
		return nil, err
	}

	// Listeners first: URLs carry the real ports (port 0 in tests).
	shared, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("localsys: listen %s: %w", cfg.Listen, err)
	}
	s.track(shared)
	host := cfg.PublicHost
	if host == "" {
		host = "localhost"
	}
	scheme := "http"
	if cfg.Web != nil {
		scheme = "https"
	}
	port := portOf(shared)
	base := scheme + "://" + net.JoinHostPort(host, port)
	as4Listeners := map[string]net.Listener{}
	as4URL := map[string]string{}
	for _, t := range cfg.Tenants {
		l, err := net.Listen("tcp", t.AS4Listen)
		if err != nil {
			return nil, fmt.Errorf("localsys: tenant %s: listen %s: %w", t.ID, t.AS4Listen, err)
		}
		s.track(l)
		as4Listeners[t.ID] = l
		as4URL[t.ID] = "https://" + net.JoinHostPort(t.AS4Host, portOf(l)) + PathAS4
	}
	testListeners := map[string]net.Listener{}
	testURL := map[string]string{}
	for _, p := range cfg.TestParticipants {
		switch {
		case p.Serve != nil:
			l, err := net.Listen("tcp", p.EndpointListen)
			if err != nil {
				return nil, fmt.Errorf("localsys: test participant %s: listen: %w", p.Participant, err)
			}
			s.track(l)
			testListeners[p.Participant] = l
			testURL[p.Participant] = "https://" + net.JoinHostPort(p.EndpointHost, portOf(l)) + PathAS4
		case strings.HasPrefix(p.Endpoint, "tenant:"):
			u, ok := as4URL[strings.TrimPrefix(p.Endpoint, "tenant:")]
			if !ok {
				return nil, fmt.Errorf("localsys: test participant %s: unknown %s", p.Participant, p.Endpoint)
			}
			testURL[p.Participant] = u
		default:
			testURL[p.Participant] = p.Endpoint
		}
	}

	// DNS: the SML zone's records and the host names of every endpoint.
	if s.dns, err = dnstest.Start(); err != nil {
		return nil, fmt.Errorf("localsys: dns: %w", err)
	}
	loop := netip.MustParseAddr("127.0.0.1")
	smpBase, _ := url.Parse(scheme + "://" + net.JoinHostPort(cfg.SMPHost, port) + PathSMP)
	s.dns.AddA(cfg.SMPHost, loop)
	bx := bdxl.Config{Zone: cfg.Zone}
	publish := func(participant, endpoint string) error {
		name, err := bx.Name(smp.SchemeParticipant, participant)
		if err != nil {
			return fmt.Errorf("localsys: sml name of %s: %w", participant, err)
		}
		s.dns.AddNAPTR(name, bdxl.NAPTR{Order: 100, Preference: 10, Flags: "U", Service: bdxl.ServiceMetaSMP,
			Regexp: "!^.*$!" + smpBase.String() + "!"})
		if u, err := url.Parse(endpoint); err == nil && u.Hostname() != "" {
			s.dns.AddA(u.Hostname(), loop)
		}
		return nil
	}

	// SMP with CertPub, signed with the environment's SMP key; the admin APIs take only
	// their own tokens (a random one when the configuration names none).
	admin := cfg.Admin
	if admin.SMPToken == "" {
		admin.SMPToken = randomHex(32)
	}
	if admin.AddressBookToken == "" {
		admin.AddressBookToken = randomHex(32)
	}
	smpStore := smptest.NewMemory()
	smpSrv, err := smp.NewServer(smp.ServerOptions{Store: smpStore, BaseURL: smpBase, AdminToken: admin.SMPToken,
		Signer: smp.Signer{Key: env.smpKey, Chain: env.smpChain}})
	if err != nil {
		return nil, fmt.Errorf("localsys: smp: %w", err)
	}
	register := func(participant string, endpoint string, apCert, o2oCert *x509.Certificate, descr string) error {
		pid, err := smp.ParseParticipant(participant)
		if err != nil {
			return fmt.Errorf("localsys: %s: %w", participant, err)
		}
		reg := smp.Registration{Participant: pid}
		for _, doc := range []string{smp.DocumentSDKMessage, smp.DocumentSDKReceipt} {
			reg.Services = append(reg.Services, smp.Service{
				Document: smp.Identifier{Scheme: smp.SchemeDocument, Value: doc},
				Process:  smp.Identifier{Scheme: smp.SchemeProcess, Value: smp.ProcessNone},
				Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportProfileSDK, URI: endpoint, CertificateDER: apCert.Raw,
					Description: descr, TechnicalContactURL: "mailto:drift@brevduva.localhost"}}})
		}
		if o2oCert != nil {
			reg.Certificates = []certpub.Certificate{{Use: certpub.Signing, Cert: o2oCert}, {Use: certpub.Encryption, Cert: o2oCert}}
		}
		if err := reg.Validate(); err != nil {
			return fmt.Errorf("localsys: smp registration %s: %w", participant, err)
		}
		if err := smpStore.Put(context.Background(), &reg); err != nil {
			return fmt.Errorf("localsys: smp registration %s: %w", participant, err)
		}
		return publish(participant, endpoint)
	}

	// Address book.
	abMem := addressbooktest.NewMemory()
	book := abMem.Book()
	addOrg := func(id, participant, name, orgNumber string, fas []FunctionAddress) error {
		org := addressbook.Organization{ID: id, Type: addressbook.TypeOrganization, ParticipantIdentifier: participant,
			OrganizationNumber: orgNumber, Name: name, CountryCode: "SE"}
		if err := book.PutOrganization(context.Background(), org); err != nil {
			return fmt.Errorf("localsys: address book %s: %w", id, err)
		}
		for _, fa := range fas {
			if err := book.PutAddress(context.Background(), addressbook.Address{ID: id + "-" + fa.ID, Identifier: fa.ID, Name: fa.Name, Parent: id}); err != nil {
				return fmt.Errorf("localsys: address book %s/%s: %w", id, fa.ID, err)
			}
		}
		return nil
	}
	abHandler, err := addressbook.NewHandler(addressbook.HandlerOptions{Book: book, AdminToken: admin.AddressBookToken})
	if err != nil {
		return nil, fmt.Errorf("localsys: address book: %w", err)
	}

	// Discovery through the local DNS and SMP.
	tlsPolicy, err := httpx.ParseTLSPolicy(cfg.TLS.MinVersion, cfg.TLS.CipherSuites)
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	res, err := dns.New(s.dns.Addr)
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	smpHTTP := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: res.DialContext,
		TLSClientConfig: tlsPolicy.Apply(&tls.Config{RootCAs: env.tlsPool})}}
	smpClient, err := smp.NewClient(smpHTTP, smp.ClientOptions{Verify: smp.VerifyOptions{Roots: env.smpPool, Now: time.Now},
		TTL: 30 * time.Second, NegativeTTL: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("localsys: smp client: %w", err)
	}
	disc, err := discovery.New(discovery.Options{Locator: bdxl.Locator{Config: bx, Resolver: res}, SMP: smpClient, Now: time.Now,
		APRoots: env.apPool, DNSTTL: 30 * time.Second, DNSNegativeTTL: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("localsys: discovery: %w", err)
	}

	receiptTimeout, err := cfg.receiptTimeout()
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	retry := o.Retry
	if retry == nil && cfg.Retry != "" {
		r, err := parseRetry(cfg.Retry)
		if err != nil {
			return nil, err
		}
		retry = &r
	}
	clock := msh.ClockFunc(time.Now)
	store := local.NewMessages(s.db)
	guard := local.NewGuard(s.db, clock)
	queue := local.NewQueue(s.db, clock, queueMaxAttempts)
	mailbox := local.NewMailbox(s.db)
	profile := pmode.EDelivery115()
	var clients []oauth.Client
	as4Handlers := map[string]http.Handler{}
	crls, err := revocation(cfg.CRLURLs, cfg.PKI.TLSCA, base, log)
	if err != nil {
		return nil, err
	}
	signers := sdkapi.KeyMap{} // the remote signer: tenants whose O2O key is on the server
	for _, t := range cfg.Tenants {
		tk, err := loadTenant(t, env)
		if err != nil {
			return nil, err
		}
		tr, err := httpx.NewTransport(httpx.TransportOptions{Cert: tk.tls, Roots: env.tlsPool, DialContext: res.DialContext, TLS: tlsPolicy})
		if err != nil {
			return nil, fmt.Errorf("localsys: tenant %s: %w", t.ID, err)
		}
		s.transports = append(s.transports, tr)
		var transport msh.Transport = tr
		if o.WrapTransport != nil {
			transport = o.WrapTransport(t.ID, tr)
		}
		fas := make([]string, 0, len(t.FunctionAddresses))
		for _, fa := range t.FunctionAddresses {
			fas = append(fas, fa.ID)
		}
		tc := msh.TenantConfig{ID: t.ID, Participant: t.Participant, APPartyID: t.APPartyID, Profile: profile,
			AS4Key: tk.as4Key, AS4Decrypter: tk.as4Dec, AS4Cert: tk.as4Cert,
			O2OKey: tk.o2oKey, O2ODecrypter: tk.o2oDec, O2OCert: tk.o2oCert,
			APTrust: newTrust(env.apCerts, crls), FunctionAddresses: fas}
		if len(env.o2oCerts) > 0 {
			tc.O2OTrust = newTrust(env.o2oCerts, crls)
		}
		eo := msh.EngineOptions{Tenants: []msh.TenantConfig{tc}, Store: store, Payloads: files, Guard: guard,
			Queue: queue, Mailbox: mailbox, Clock: clock, Discovery: disc, Transport: transport,
			Logger: log, Retry: retry, PollInterval: o.PollInterval, SenderDomain: senderDomainCheck[cfg.SenderDomainCheck],
			ReceiptTimeout: receiptTimeout}
		eo.Audit = auditLog
		auditKeys.set(t.ID, tk.as4Key)
		if o.Configure != nil {
			o.Configure(t.ID, &eo)
		}
		eng, err := msh.NewEngine(eo)
		if err != nil {
			return nil, fmt.Errorf("localsys: tenant %s: %w", t.ID, err)
		}
		s.engines[t.ID] = eng
		if tk.o2oKey != nil {
			signers[t.ID] = sdkapi.SigningKey{Key: tk.o2oKey, Chain: tk.o2oChain}
		}
		id := t.ID
		h, err := httpx.NewAS4Handler(httpx.AS4Options{MaxBytes: profile.MaxMessageBytes, Logger: log.With("tenant", id),
			Receive: func(ctx context.Context, ct string, body io.Reader) (httpx.Response, error) {
				r, err := eng.Receive(ctx, id, ct, body)
				return httpx.Response(r), err
			}})
		if err != nil {
			return nil, err
		}
		as4Handlers[t.ID] = h
		srvTLS, err := httpx.ServerTLS(tk.tls, env.tlsPool)
		if err != nil {
			return nil, fmt.Errorf("localsys: tenant %s: %w", t.ID, err)
		}
		tlsPolicy.Apply(srvTLS)
		s.serve(&http.Server{Handler: h, TLSConfig: srvTLS}, as4Listeners[t.ID], true)
		if err := register(t.Participant, as4URL[t.ID], tk.as4Cert, tk.o2oCert, t.Name+" (Brevduva)"); err != nil {
			return nil, err
		}
		if err := addOrg(t.ID, t.Participant, t.Name, t.OrgNumber, t.FunctionAddresses); err != nil {
			return nil, err
		}
		for _, c := range t.Clients {
			clients = append(clients, oauth.Client{ID: c.ID, Secret: c.Secret, Tenant: t.ID, Scopes: c.Scopes, FunctionAddresses: c.FunctionAddresses})
		}
	}
	for i, p := range cfg.TestParticipants {
		apc, err := firstCert(p.APCert)
		if err != nil {
			return nil, err
		}
		var o2o *x509.Certificate
		if p.O2OCert != "" {
			if o2o, err = firstCert(p.O2OCert); err != nil {
				return nil, err
			}
		}
		if err := register(p.Participant, testURL[p.Participant], apc, o2o, "Brevduva test bed: "+p.Name); err != nil {
			return nil, err
		}
		if err := addOrg(fmt.Sprintf("testbed-%d", i+1), p.Participant, p.Name, fmt.Sprintf("21200099%02d", i+1), []FunctionAddress{{ID: "registrator", Name: "Registrator"}}); err != nil {
			return nil, err
		}
		if p.Serve != nil {
			pair, err := tls.LoadX509KeyPair(p.Serve.Cert, p.Serve.Key)
			if err != nil {
				return nil, fmt.Errorf("localsys: test participant %s: %w", p.Participant, err)
			}
			// The client check is the mutual TLS of a real AP; the server certificate is what
			// is wrong, so a sender never gets past the handshake.
			cfgTLS, err := httpx.ServerTLS(pair, env.tlsPool)
			if err != nil {
				return nil, err
			}
			s.serve(&http.Server{TLSConfig: cfgTLS, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "test bed endpoint", http.StatusServiceUnavailable)
			})}, testListeners[p.Participant], true)
		}
	}

	// The shared port.
	tokenURL := base + PathToken
	oauthSrv, err := oauth.NewServer(oauth.ServerOptions{Key: oauthKey, Issuer: TokenIssuer, Clients: clients, Now: time.Now, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	auth, err := cfg.OIDC.authenticator(oauthSrv.Verifier())
	if err != nil {
		return nil, err
	}
	apiHandler, err := sdkapi.NewHandler(sdkapi.Options{Service: sdkapi.NewEngineService(s.engines), Auth: auth, BasePath: PathSDKAPI, Now: time.Now, Logger: log,
		Signer: signers, AllowedOrigins: cfg.CORSOrigins})
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	s.desc = Description{WebURL: base + "/", SDKAPIBaseURL: base + PathSDKAPI, TokenURL: tokenURL, SMPURL: smpBase.String(),
		AddressBookURL: base + PathAddressBook + addressbook.PathOrganizations, HealthURL: base + PathHealth,
		DNSServer: s.dns.Addr, SMLZone: cfg.Zone,
		Admin: &AdminInfo{SMPAdminURL: base + PathSMP + "admin/participants/", SMPToken: admin.SMPToken,
			AddressBookAdminURL: base + PathAddressBook + addressbook.PathAdmin + "/", AddressBookToken: admin.AddressBookToken}}
	for _, t := range cfg.Tenants {
		ti := TenantInfo{ID: t.ID, Name: t.Name, Participant: t.Participant, WebURL: base + "/", SDKAPIBaseURL: base + PathSDKAPI,
			TokenURL: tokenURL, FunctionAddresses: t.FunctionAddresses, AS4EndpointURL: as4URL[t.ID], APPartyID: t.APPartyID}
		if len(t.Clients) > 0 {
			ti.ClientID, ti.ClientSecret = t.Clients[0].ID, t.Clients[0].Secret
		}
		s.desc.Tenants = append(s.desc.Tenants, ti)
	}
	for _, p := range cfg.TestParticipants {
		p.Endpoint = testURL[p.Participant]
		p.APCert, p.O2OCert, p.Serve, p.EndpointListen = "", "", nil, ""
		s.desc.TestParticipants = append(s.desc.TestParticipants, p)
	}
	mux := http.NewServeMux()
	mux.Handle(PathToken, oauthSrv)
	mux.Handle(PathSDKAPI+"/", apiHandler)
	auditHandler, err := audit.NewHandler(audit.HandlerOptions{Log: auditLog, Auth: oauthSrv.Verifier(), Base: PathAudit, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	mux.Handle(PathAudit+"/", auditHandler)
	mux.Handle(PathSMP, smpSrv)
	mux.Handle(PathAddressBook+"/", abHandler)
	if len(cfg.PublishCRLs) > 0 {
		h, err := crlHandler(cfg.PublishCRLs)
		if err != nil {
			return nil, err
		}
		mux.Handle(PathCRL, h)
	}
	mux.HandleFunc(PathHealth, s.serveHealth)
	// The web client (package web): the page at "/" for browsers, its assets and the wasm
	// module below /web/. "/" still answers JSON (this description) to other clients.
	smpRoots, err := os.ReadFile(cfg.PKI.SMPCA)
	if err != nil {
		return nil, fmt.Errorf("localsys: web client: %w", err)
	}
	webCfg := map[string]any{"smpRootsPEM": string(smpRoots), "smpPath": PathSMP}
	oidcCfg, connect := cfg.OIDC.webConfig()
	if oidcCfg != nil {
		webCfg["oidc"] = oidcCfg
	}
	webHandler, err := web.Handler(web.Options{Config: webCfg, ConnectOrigins: connect})
	if err != nil {
		return nil, fmt.Errorf("localsys: web client: %w", err)
	}
	mux.Handle(web.Prefix, webHandler)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept")
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			webHandler.ServeHTTP(w, r) // the page, with its security headers
			return
		}
		w.Header().Set("Content-Type", "application/json")
		pub := s.desc
		pub.Tenants, pub.Admin = nil, nil
		for _, t := range s.desc.Tenants {
			t.ClientSecret = ""
			pub.Tenants = append(pub.Tenants, t)
		}
		b, _ := json.MarshalIndent(pub, "", "  ")
		_, _ = w.Write(append(b, '\n'))
	})
	var webTLS *tls.Config
	if cfg.Web != nil {
		pair, err := tls.LoadX509KeyPair(cfg.Web.Cert, cfg.Web.Key)
		if err != nil {
			return nil, fmt.Errorf("localsys: web certificate: %w", err)
		}
		if webTLS, err = httpx.WebTLS(pair); err != nil {
			return nil, err
		}
		tlsPolicy.Apply(webTLS)
	}
	s.serve(&http.Server{Handler: accessLog(log, mux), TLSConfig: webTLS}, shared, webTLS != nil)

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for id, e := range s.engines {
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			if err := e.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("engine stopped", "tenant", id, "err", err.Error())
			}
		}()
	}
	log.Info("brevduva local system started", "api", s.desc.SDKAPIBaseURL, "tenants", len(cfg.Tenants), "dns", s.dns.Addr)
	return s, nil
}

func (s *System) track(l net.Listener) { s.pending = append(s.pending, l) }

func (s *System) serve(srv *http.Server, l net.Listener, tlsOn bool) {
	srv.ReadHeaderTimeout = 10 * time.Second
	srv.IdleTimeout = 2 * time.Minute
	srv.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
	s.live = append(s.live, srv)
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		var err error
		if tlsOn {
			err = srv.ServeTLS(l, "", "")
		} else {
			err = srv.Serve(l)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "addr", l.Addr().String(), "err", err.Error())
		}
	}()
}

// Shutdown stops accepting requests, lets running requests finish (until ctx is done),
// stops the engines' workers and closes the data folder. It may be called again.
func (s *System) Shutdown(ctx context.Context) error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	// Workers first (no new outbound exchanges), then our own idle client connections
	// (HTTP/2 connections would hold the servers' graceful shutdown), then the servers.
	if s.cancel != nil {
		s.cancel()
	}
	s.workers.Wait()
	s.log.Debug("workers stopped")
	for _, tr := range s.transports {
		tr.CloseIdle()
	}
	for _, srv := range s.live {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("localsys: shutdown: %w", err))
			_ = srv.Close()
		}
	}
	for _, l := range s.pending {
		_ = l.Close()
	}
	s.log.Debug("servers stopped")
	s.serveWG.Wait()
	if s.dns != nil {
		_ = s.dns.Close()
	}
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("localsys: close db: %w", err))
		}
	}
	if s.auditDB != nil {
		if err := s.auditDB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("localsys: close audit db: %w", err))
		}
	}
	s.log.Info("brevduva local system stopped")
	return errors.Join(errs...)
}

func (s *System) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)
}

func portOf(l net.Listener) string {
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func parseRetry(s string) (msh.RetryPolicy, error) {
	r, err := msh.ParseRetry(s)
	if err != nil {
		return r, fmt.Errorf("localsys: retry %q: %w", s, err)
	}
	return r, nil
}

// installKey reads the installation's token signing key (an Ed25519 seed, hex) or
// creates it on first start.
func installKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("localsys: oauth key: %w", err)
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("localsys: oauth key: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, fmt.Errorf("localsys: oauth key: %w", err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("localsys: oauth key %s: not a hex Ed25519 seed", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// accessLog logs each request of the shared port: method, path, status, duration.
func accessLog(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// env is the environment's trust material.
type env struct {
	apCerts, o2oCerts        []*x509.Certificate
	apPool, smpPool, tlsPool *x509.CertPool
	smpKey                   crypto.Signer
	smpChain                 []*x509.Certificate
}

func loadEnv(c *Config) (*env, error) {
	e := &env{}
	pool := func(path string) (*x509.CertPool, []*x509.Certificate, error) {
		cs, err := demopki.LoadCerts(path)
		if err != nil {
			return nil, nil, fmt.Errorf("localsys: %w", err)
		}
		p := x509.NewCertPool()
		for _, c := range cs {
			p.AddCert(c)
		}
		return p, cs, nil
	}
	var err error
	if e.apPool, e.apCerts, err = pool(c.PKI.APCA); err != nil {
		return nil, err
	}
	if e.smpPool, _, err = pool(c.PKI.SMPCA); err != nil {
		return nil, err
	}
	if e.tlsPool, _, err = pool(c.PKI.TLSCA); err != nil {
		return nil, err
	}
	if c.PKI.O2OCA != "" {
		if _, e.o2oCerts, err = pool(c.PKI.O2OCA); err != nil {
			return nil, err
		}
	}
	if e.smpChain, err = demopki.LoadCerts(c.PKI.SMP.Cert); err != nil {
		return nil, fmt.Errorf("localsys: smp certificate: %w", err)
	}
	if e.smpKey, err = demopki.LoadKey(c.PKI.SMP.Key); err != nil {
		return nil, fmt.Errorf("localsys: smp key: %w", err)
	}
	return e, nil
}

type tenantKeys struct {
	as4Key   crypto.Signer
	as4Dec   crypto.Decrypter
	as4Cert  *x509.Certificate
	o2oKey   crypto.Signer
	o2oDec   crypto.Decrypter
	o2oCert  *x509.Certificate
	o2oChain []*x509.Certificate
	tls      tls.Certificate
}

func loadTenant(t Tenant, _ *env) (*tenantKeys, error) {
	k := &tenantKeys{}
	var err error
	wrap := func(what string, err error) error { return fmt.Errorf("localsys: tenant %s: %s: %w", t.ID, what, err) }
	if k.as4Cert, err = firstCert(t.AS4.Cert); err != nil {
		return nil, wrap("as4 certificate", err)
	}
	if k.as4Key, err = demopki.LoadKey(t.AS4.Key); err != nil {
		return nil, wrap("as4 key", err)
	}
	k.as4Dec, _ = k.as4Key.(crypto.Decrypter)
	if k.o2oChain, err = demopki.LoadCerts(t.O2O.Cert); err != nil {
		return nil, wrap("o2o certificate", err)
	}
	k.o2oCert = k.o2oChain[0]
	if !t.EndToEnd {
		if k.o2oKey, err = demopki.LoadKey(t.O2O.Key); err != nil {
			return nil, wrap("o2o key", err)
		}
		k.o2oDec, _ = k.o2oKey.(crypto.Decrypter)
	}
	if k.tls, err = tls.LoadX509KeyPair(t.TLS.Cert, t.TLS.Key); err != nil {
		return nil, wrap("tls key pair", err)
	}
	return k, nil
}

func firstCert(path string) (*x509.Certificate, error) {
	cs, err := demopki.LoadCerts(path)
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	return cs[0], nil
}
