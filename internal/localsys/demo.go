package localsys

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/brevduva/brevduva/internal/demopki"
)

// Demo file names inside the demo folder.
const (
	DemoConfigFile      = "config.json"
	DemoDescriptionFile = "demo.json"
	demoPKIDir          = "pki"
)

// DemoOptions shape InitDemo.
type DemoOptions struct {
	// FreePorts makes every listener take a free port (tests); otherwise the demo uses
	// 127.0.0.1:18080 (shared), 18441/18442 (AS4) and 18451/18452 (test bed).
	FreePorts bool
	// Bits is the RSA size of the demo PKI (0: 2048).
	Bits int
	// Now dates the test bed's expired certificates (nil: time.Now).
	Now func() time.Time
	// HTTPS serves the shared port over TLS with the demo "web" certificate (names
	// localhost and the SMP host); clients then trust pki/tls-ca.ca.pem.
	HTTPS bool
}

const demoSMPHost = "smp.brevduva.localhost"

// Demo participants.
const (
	DemoParticipantA = "0203:kommun-a.brevduva.localhost"
	DemoParticipantB = "0203:kommun-b.brevduva.localhost"
	// The test bed (issue 10): one participant per failure a sender should see.
	TestUnreachable = "0203:onaabar.brevduva.localhost"
	TestExpiredO2O  = "0203:utgangen-o2o.brevduva.localhost"
	TestWrongAS4    = "0203:fel-as4-cert.brevduva.localhost"
	TestExpiredTLS  = "0203:utgangen-tls.brevduva.localhost"
	TestWrongTLSCA  = "0203:fel-tls-ca.brevduva.localhost"
	TestRevokedAS4  = "0203:sparrad-as4.brevduva.localhost"
)

// InitDemo creates, on first use, a demo folder: a demo PKI in dir/pki and dir/config.json
// for two municipalities and the test bed. A folder that has config.json is left as it
// is. It returns the configuration path and whether it was created now.
func InitDemo(dir string, o DemoOptions) (string, bool, error) {
	cfgPath := filepath.Join(dir, DemoConfigFile)
	if _, err := os.Stat(cfgPath); err == nil {
		return cfgPath, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("localsys: demo: %w", err)
	}
	if o.Bits == 0 {
		o.Bits = 2048
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	set, err := demopki.Demo(o.Bits)
	if err != nil {
		return "", false, fmt.Errorf("localsys: demo pki: %w", err)
	}
	if err := addTestBedPKI(set, o); err != nil {
		return "", false, err
	}
	if _, err := set.Write(filepath.Join(dir, demoPKIDir)); err != nil {
		return "", false, fmt.Errorf("localsys: demo pki: %w", err)
	}
	if err := writeDemoCRL(filepath.Join(dir, demoPKIDir, DemoAPCRLFile), set, o.Now()); err != nil {
		return "", false, err
	}
	port := func(p string) string {
		if o.FreePorts {
			return "127.0.0.1:0"
		}
		return "127.0.0.1:" + p
	}
	pk := func(name string) KeyPair {
		return KeyPair{Cert: filepath.Join(demoPKIDir, name+".cert.pem"), Key: filepath.Join(demoPKIDir, name+".key.pem")}
	}
	cert := func(name string) string { return filepath.Join(demoPKIDir, name+".cert.pem") }
	cfg := Config{
		DataDir: "data", Listen: port("18080"), SMPHost: demoSMPHost, Zone: "sml.brevduva.localhost",
		PKI: PKI{APCA: filepath.Join(demoPKIDir, "ap-ca.ca.pem"), SMPCA: filepath.Join(demoPKIDir, "smp-ca.ca.pem"),
			O2OCA: filepath.Join(demoPKIDir, "o2o-ca.ca.pem"), TLSCA: filepath.Join(demoPKIDir, "tls-ca.ca.pem"), SMP: pk("smp")},
		Tenants: []Tenant{
			{ID: "kommun-a", Name: "Kommun A", Participant: DemoParticipantA, OrgNumber: "2120000001", APPartyID: set.Leaf("ap-a").Cert.Subject.CommonName,
				AS4Listen: port("18441"), AS4Host: "ap-a.localhost", AS4: pk("ap-a"), O2O: pk("org-a"), TLS: pk("tls-a"),
				FunctionAddresses: []FunctionAddress{{ID: "socialtjansten", Name: "Socialtjänsten"},
					{ID: "barn-och-utbildning", Name: "Barn- och utbildning"}, {ID: "registrator", Name: "Registrator"}},
				Clients: []Client{{ID: "kommun-a", Secret: randomHex(16)}, auditClient("kommun-a")}},
			{ID: "kommun-b", Name: "Kommun B", Participant: DemoParticipantB, OrgNumber: "2120000002", APPartyID: set.Leaf("ap-b").Cert.Subject.CommonName,
				AS4Listen: port("18442"), AS4Host: "ap-b.localhost", AS4: pk("ap-b"), O2O: pk("org-b"), TLS: pk("tls-b"),
				FunctionAddresses: []FunctionAddress{{ID: "socialtjansten", Name: "Socialtjänsten"},
					{ID: "byggnadsnamnden", Name: "Byggnadsnämnden"}, {ID: "registrator", Name: "Registrator"}},
				Clients: []Client{{ID: "kommun-b", Secret: randomHex(16)}, auditClient("kommun-b")}},
		},
		TestParticipants: []TestParticipant{
			{Participant: TestUnreachable, Name: "Test: AP går inte att nå", Description: "the SMP names an AP where nothing listens",
				Endpoint: "https://ap-down.localhost:9/as4", APCert: cert("ap-b"), O2OCert: cert("org-b"),
				Expect: "SCHEDULED_FOR_RESEND between attempts, then MESSAGE_EXCHANGE_ERROR (EBMS:0301) after the last retry"},
			{Participant: TestExpiredO2O, Name: "Test: utgånget O2O-certifikat", Description: "CertPub publishes an expired organisation certificate",
				Endpoint: "tenant:kommun-b", APCert: cert("ap-b"), O2OCert: cert("org-expired"),
				Expect: "sendMessage refused (422 recipient not found: no valid O2O certificate)"},
			{Participant: TestWrongAS4, Name: "Test: fel AS4-certifikat", Description: "the SMP publishes an AP certificate outside the AP CA",
				Endpoint: "tenant:kommun-b", APCert: cert("ap-rogue"), O2OCert: cert("org-b"),
				Expect: "MESSAGE_EXCHANGE_ERROR: untrusted AP certificate"},
			{Participant: TestExpiredTLS, Name: "Test: utgånget TLS-certifikat", Description: "the AP's TLS server certificate has expired",
				Endpoint: "served", APCert: cert("ap-b"), O2OCert: cert("org-b"), Serve: ptr(pk("tls-expired")),
				EndpointListen: port("18451"), EndpointHost: "ap-expired-tls.localhost",
				Expect: "retries, then MESSAGE_EXCHANGE_ERROR: TLS handshake fails (certificate expired)"},
			{Participant: TestWrongTLSCA, Name: "Test: TLS-certifikat från fel CA", Description: "the AP's TLS server certificate is from another CA",
				Endpoint: "served", APCert: cert("ap-b"), O2OCert: cert("org-b"), Serve: ptr(pk("tls-rogue")),
				EndpointListen: port("18452"), EndpointHost: "ap-wrong-ca.localhost",
				Expect: "retries, then MESSAGE_EXCHANGE_ERROR: TLS handshake fails (unknown authority)"},
			{Participant: TestRevokedAS4, Name: "Test: spärrat AS4-certifikat", Description: "the SMP publishes an AP certificate the AP CA's CRL revokes",
				Endpoint: "tenant:kommun-b", APCert: cert("ap-revoked"), O2OCert: cert("org-b"),
				Expect: "retries, then MESSAGE_EXCHANGE_ERROR: EBMS:0101 recipient AP certificate not trusted (revoked); nothing sent"},
		},
	}
	if o.HTTPS {
		cfg.Web = ptr(pk("web"))
	}
	cfg.Admin = AdminCredentials{SMPToken: randomHex(32), AddressBookToken: randomHex(32)}
	cfg.PublishCRLs = []string{filepath.Join(demoPKIDir, DemoAPCRLFile)}
	cfg.CRLURLs = []string{PathCRL + DemoAPCRLFile}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", false, fmt.Errorf("localsys: demo config: %w", err)
	}
	if err := os.WriteFile(cfgPath, append(b, '\n'), 0o600); err != nil {
		return "", false, fmt.Errorf("localsys: demo config: %w", err)
	}
	return cfgPath, true, nil
}

func ptr[T any](v T) *T { return &v }

// addTestBedPKI adds the test bed's certificates: an expired O2O certificate, an
// expired TLS certificate, an AP and a TLS certificate from a CA outside the
// environment, and an AP certificate the AP CA revoked (writeDemoCRL).
func addTestBedPKI(set *demopki.Set, o DemoOptions) error {
	now := o.Now()
	expired := demopki.Options{Bits: o.Bits, NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.AddDate(0, 0, -1)}
	rogue, err := demopki.NewCA("Brevduva Demo Rogue CA", demopki.Options{Bits: o.Bits})
	if err != nil {
		return fmt.Errorf("localsys: demo pki: %w", err)
	}
	rogue.Name = "rogue-ca"
	set.CAs = append(set.CAs, rogue)
	leaves := []struct {
		name string
		ca   *demopki.Authority
		cn   string
		opt  demopki.Options
	}{
		{"org-expired", set.CA("o2o-ca"), "sdk.utgangen-o2o.localhost", expired},
		{"tls-expired", set.CA("tls-ca"), "ap-expired-tls.localhost", withDNS(expired, "ap-expired-tls.localhost")},
		{"ap-rogue", rogue, "AP0666-BREVDUVA-ROGUE", demopki.Options{Bits: o.Bits}},
		{"ap-revoked", set.CA("ap-ca"), "AP0099-BREVDUVA-SPARRAD", demopki.Options{Bits: o.Bits}},
		{"web", set.CA("tls-ca"), "localhost", demopki.Options{Bits: o.Bits, DNSNames: []string{"localhost", demoSMPHost}}},
		{"tls-rogue", rogue, "ap-wrong-ca.localhost", demopki.Options{Bits: o.Bits, DNSNames: []string{"ap-wrong-ca.localhost"}}},
	}
	for _, l := range leaves {
		c, err := l.ca.Issue(l.cn, l.opt)
		if err != nil {
			return fmt.Errorf("localsys: demo pki %s: %w", l.name, err)
		}
		c.Name = l.name
		set.Leaves = append(set.Leaves, c)
		set.Issuer[l.name] = l.ca.Name
	}
	return nil
}

// DemoAPCRLFile is the demo AP CA's CRL (DER) in the demo's pki folder, published at
// PathCRL + DemoAPCRLFile on the shared port; it revokes pki/ap-revoked.cert.pem.
const DemoAPCRLFile = "ap-ca.crl"

// writeDemoCRL writes the AP CA's CRL revoking the test bed's ap-revoked certificate.
// Its nextUpdate is the CA's own end of validity: the demo folder is reused across
// runs, and a CRL past its nextUpdate would refuse every AP certificate (fail closed).
func writeDemoCRL(path string, set *demopki.Set, now time.Time) error {
	ca := set.CA("ap-ca")
	revoked := set.Leaf("ap-revoked").Cert
	crl, err := ca.CRL([]x509.RevocationListEntry{{SerialNumber: revoked.SerialNumber, RevocationTime: now.Add(-time.Minute)}},
		now.Add(-time.Minute), ca.Cert.Cert.NotAfter)
	if err != nil {
		return fmt.Errorf("localsys: demo crl: %w", err)
	}
	if err := os.WriteFile(path, crl.Raw, 0o644); err != nil {
		return fmt.Errorf("localsys: demo crl: %w", err)
	}
	return nil
}

func withDNS(o demopki.Options, names ...string) demopki.Options {
	o.DNSNames = names
	return o
}
