package awssys

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
	"github.com/brevduva/brevduva/infra/aws/s3store"
	"github.com/brevduva/brevduva/infra/aws/sqsqueue"
	"github.com/brevduva/brevduva/infra/dns"
	"github.com/brevduva/brevduva/infra/httpx"
)

// QueueMaxAttempts is the poison-message backstop of the item queue; it exceeds the PMode
// retries plus the grace-period nacks (core/msh, the send path).
const QueueMaxAttempts = 200

// MaxBufferedBody caps an AS4 body on the buffered Lambda path: an invocation payload is
// at most 6 MB (the event JSON, so a base64 body carries at most about 4.5 MB of
// message). Larger messages take the edge front door (docs/design/functions.md).
const MaxBufferedBody = 6_000_000

// System is one tenant's engine on the AWS adapters.
type System struct {
	Engine  *msh.Engine
	Tenant  msh.TenantConfig
	Clients *Clients
	Logger  *slog.Logger
	Audit   *audit.Log // the tenant's audit trail (EngineOptions.Audit)
}

// ErrNoDiscovery is what a function without BREVDUVA_SML_ZONE answers to a lookup: it
// receives only and never sends (as4-receive, sdk-api).
var ErrNoDiscovery = errors.New("awssys: discovery not configured in this function (BREVDUVA_SML_ZONE unset)")

type noDiscovery struct{}

func (noDiscovery) Lookup(context.Context, smp.Identifier, smp.Identifier) (*discovery.Result, error) {
	return nil, ErrNoDiscovery
}

type noTransport struct{}

func (noTransport) Post(context.Context, string, string, io.Reader) (string, []byte, error) {
	return "", nil, ErrNoDiscovery
}

// Logger is a JSON logger on stderr at BREVDUVA_LOG_LEVEL (default info).
func Logger(env Env) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(env.get(EnvLogLevel)))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}

// New builds the tenant's engine from the environment: DynamoDB table, S3 bucket, SQS
// wake-up queue, keys (KMS or file), trust anchors and, when BREVDUVA_SML_ZONE is set,
// discovery (BDXL over DNS, SMP) and the mutual-TLS AS4 transport.
func New(ctx context.Context, env Env, c *Clients, log *slog.Logger) (*System, error) {
	var errs []error
	v := env.need(&errs, EnvTenant, EnvParticipant, EnvAPPartyID, EnvTable, EnvBucket, EnvQueueURL,
		EnvAS4Key, EnvAS4Cert, EnvAPTrust)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	tenant := v[EnvTenant]
	clock := msh.ClockFunc(time.Now)
	tc := msh.TenantConfig{ID: tenant, Participant: v[EnvParticipant], APPartyID: v[EnvAPPartyID],
		Profile: pmode.EDelivery115(), FunctionAddresses: env.list(EnvFunctionAddresses)}
	var err error
	if tc.AS4Key, tc.AS4Decrypter, err = loadKey(ctx, c, EnvAS4Key, v[EnvAS4Key]); err != nil {
		return nil, err
	}
	as4Chain, err := loadCerts(EnvAS4Cert, v[EnvAS4Cert])
	if err != nil {
		return nil, err
	}
	tc.AS4Cert = as4Chain[0]
	apTrust, err := loadCerts(EnvAPTrust, v[EnvAPTrust])
	if err != nil {
		return nil, err
	}
	crls, err := revocation(env, log)
	if err != nil {
		return nil, err
	}
	tc.APTrust = trust.NewStore(apTrust, time.Now)
	tc.APTrust.Revocation = crls
	if k := env.get(EnvO2OKey); k != "" {
		if tc.O2OKey, tc.O2ODecrypter, err = loadKey(ctx, c, EnvO2OKey, k); err != nil {
			return nil, err
		}
		cs, err := loadCerts(EnvO2OCert, env.get(EnvO2OCert))
		if err != nil {
			return nil, err
		}
		tc.O2OCert = cs[0]
	}
	if t := env.get(EnvO2OTrust); t != "" {
		cs, err := loadCerts(EnvO2OTrust, t)
		if err != nil {
			return nil, err
		}
		tc.O2OTrust = trust.NewStore(cs, time.Now)
		tc.O2OTrust.Revocation = crls
	}

	var disc msh.Discoverer = noDiscovery{}
	var tr msh.Transport = noTransport{}
	if zone := env.get(EnvSMLZone); zone != "" {
		if disc, tr, err = sending(env, zone, tc, as4Chain); err != nil {
			return nil, err
		}
	}

	payloadKey := env.get(EnvPayloadKMSKey)
	payloads, err := s3store.New(c.S3, v[EnvBucket], s3store.Options{KMSKeyID: func(string) string { return payloadKey }})
	if err != nil {
		return nil, fmt.Errorf("awssys: %w", err)
	}
	q := sqsqueue.New(dynamo.NewQueue(c.DynamoDB, v[EnvTable], clock, QueueMaxAttempts), c.SQS, v[EnvQueueURL], clock)
	q.OnSignalError = func(err error) { log.Warn("sqs wake-up signal not sent", "err", err.Error()) }
	receiptTimeout, err := durationEnv(env, EnvReceiptTimeout)
	if err != nil {
		return nil, err
	}
	al, err := newAudit(ctx, env, c, v[EnvTable], tenant, tc.AS4Key, log)
	if err != nil {
		return nil, err
	}
	eng, err := msh.NewEngine(msh.EngineOptions{Tenants: []msh.TenantConfig{tc}, Audit: al,
		Store: dynamo.NewMessages(c.DynamoDB, v[EnvTable]), Payloads: payloads,
		Guard: dynamo.NewGuard(c.DynamoDB, v[EnvTable], clock), Queue: q,
		Mailbox: dynamo.NewMailbox(c.DynamoDB, v[EnvTable]), Clock: clock,
		Discovery: disc, Transport: tr, Logger: log, ReceiptTimeout: receiptTimeout})
	if err != nil {
		return nil, fmt.Errorf("awssys: engine: %w", err)
	}
	return &System{Engine: eng, Tenant: tc, Clients: c, Logger: log, Audit: al}, nil
}

func sending(env Env, zone string, tc msh.TenantConfig, chain []*x509.Certificate) (msh.Discoverer, msh.Transport, error) {
	var errs []error
	v := env.need(&errs, EnvSMPRoots, EnvTLSRoots)
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	server := env.get(EnvDNSServer)
	if server == "" {
		var err error
		if server, err = dns.SystemServer(); err != nil {
			return nil, nil, fmt.Errorf("awssys: %w", err)
		}
	}
	res, err := dns.New(server)
	if err != nil {
		return nil, nil, fmt.Errorf("awssys: %w", err)
	}
	smpRoots, err := loadCerts(EnvSMPRoots, v[EnvSMPRoots])
	if err != nil {
		return nil, nil, err
	}
	tlsRoots, err := loadCerts(EnvTLSRoots, v[EnvTLSRoots])
	if err != nil {
		return nil, nil, err
	}
	smpHTTP := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool(tlsRoots), MinVersion: httpx.MinVersion}}}
	smpClient, err := smp.NewClient(smpHTTP, smp.ClientOptions{Verify: smp.VerifyOptions{Roots: pool(smpRoots), Now: time.Now}})
	if err != nil {
		return nil, nil, fmt.Errorf("awssys: smp client: %w", err)
	}
	disc, err := discovery.New(discovery.Options{Locator: bdxl.Locator{Config: bdxl.Config{Zone: zone}, Resolver: res},
		SMP: smpClient, Now: time.Now, APRoots: pool(tc.APTrust.Roots)})
	if err != nil {
		return nil, nil, fmt.Errorf("awssys: discovery: %w", err)
	}
	cert := tls.Certificate{PrivateKey: tc.AS4Key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	tr, err := httpx.NewTransport(httpx.TransportOptions{Cert: cert, Roots: pool(tlsRoots)})
	if err != nil {
		return nil, nil, fmt.Errorf("awssys: transport: %w", err)
	}
	return disc, tr, nil
}

// AS4MaxBytes is the AS4 body cap of the buffered Lambda path: the profile's
// MaxMessageBytes, at most MaxBufferedBody.
func AS4MaxBytes(p pmode.Profile) int64 {
	if p.MaxMessageBytes > 0 && p.MaxMessageBytes < MaxBufferedBody {
		return p.MaxMessageBytes
	}
	return MaxBufferedBody
}

// Receiver takes one inbound AS4 exchange; *msh.Engine fits.
type Receiver interface {
	Receive(ctx context.Context, tenant, contentType string, body io.Reader) (msh.AS4Response, error)
}

// NewAS4Handler is the AS4 endpoint of tenant on the buffered Lambda path: the
// infra/httpx handler (POST, content types, ebMS error signals) capped at AS4MaxBytes.
func NewAS4Handler(r Receiver, tenant string, p pmode.Profile, log *slog.Logger) (http.Handler, error) {
	h, err := httpx.NewAS4Handler(httpx.AS4Options{MaxBytes: AS4MaxBytes(p), Logger: log,
		Receive: func(ctx context.Context, ct string, body io.Reader) (httpx.Response, error) {
			resp, err := r.Receive(ctx, tenant, ct, body)
			return httpx.Response(resp), err
		}})
	if err != nil {
		return nil, fmt.Errorf("awssys: %w", err)
	}
	return h, nil
}

// durationEnv reads a positive Go duration ("72h"); unset is 0.
func durationEnv(env Env, name string) (time.Duration, error) {
	s := env.get(name)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("awssys: %s=%q: want a positive duration such as 72h", name, s)
	}
	return d, nil
}
