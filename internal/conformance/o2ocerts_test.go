package conformance

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/localsys"
)

// Certificate attacks on the O2O (XHE) signature, through Kommun B's running AP. The
// signer must be the sender's CertPub signing certificate (core/o2o open.go) and that
// certificate must pass the O2O trust store (TenantConfig.O2OTrust: the O2O CA, its CRL
// from crlUrls) for the Signing usage (core/trust checkUsage: digitalSignature or
// nonRepudiation, RFC 5280 §4.2.1.3). Each attack is a sender participant of the test
// system whose CertPub certificate is faulty in one way; A's AP carries its XHE with a
// valid AS4 signature, so B answers with an AS4 receipt, but never delivers it. B's
// audit trail shows the engine's decision: a REJECTED kvittens (orsakskod SIG, detail
// security: kvittens.EventBadSignature), submitted to the sender. (The attack senders have
// no engine: their CertPub registration names A's AP, which refuses the kvittens with
// EBMS:0003 as it serves no such participant, so its content is asserted in B's trail.)

// o2oAttack is one attack sender: its participant id and the key and certificate it
// publishes in CertPub and signs with.
type o2oAttack struct {
	name, participant string
	cert              *demopki.Cert
	want              string // kvittens code in B's audit trail
}

// o2oBed holds what addO2OTestBed added to the test system.
var o2oBed struct {
	attacks     []o2oAttack
	auditClient localsys.Client // B's audit client
}

// o2oCRLFile is the O2O CA's CRL, published on the shared port and in crlUrls.
const o2oCRLFile = "o2o-ca.crl"

// addO2OTestBed adds the O2O attack senders to cfg before the system starts: their
// certificates (written to the demo's pki folder), CertPub registrations with A's AP as
// endpoint, and the O2O CA's CRL revoking one of them.
func addO2OTestBed(dir string, cfg *localsys.Config) error {
	pki := filepath.Join(dir, "pki")
	ca, err := loadCA(pki, "o2o-ca")
	if err != nil {
		return err
	}
	spoof, err := demopki.NewCA(ca.Cert.Cert.Subject.CommonName, demopki.Options{Bits: 2048, Org: ca.Cert.Cert.Subject.Organization[0]})
	if err != nil {
		return err
	}
	now := time.Now().Truncate(time.Second)
	specs := []struct {
		name string
		ca   *demopki.Authority
		o    demopki.Options
		want string
	}{
		{"control", ca, demopki.Options{}, "ACCEPTED"},
		{"not-yet-valid", ca, demopki.Options{NotBefore: now.Add(time.Hour)}, "REJECTED"},
		{"wrong-ca", spoof, demopki.Options{}, "REJECTED"},
		{"wrong-key-usage", ca, demopki.Options{KeyUsage: x509.KeyUsageKeyEncipherment}, "REJECTED"},
		{"revoked", ca, demopki.Options{}, "REJECTED"},
	}
	for _, s := range specs {
		p := "0203:o2o-" + s.name + ".brevduva.localhost"
		s.o.Bits = 2048
		c, err := s.ca.Issue("sdk.o2o-"+s.name+".localhost", s.o)
		if err != nil {
			return err
		}
		certFile := filepath.Join(pki, "o2o-"+s.name+".cert.pem")
		if err := os.WriteFile(certFile, pem.EncodeToMemory(demopki.CertPEM(c.Cert)), 0o644); err != nil {
			return err
		}
		cfg.TestParticipants = append(cfg.TestParticipants, localsys.TestParticipant{Participant: p,
			Name: "O2O attack: " + s.name, Endpoint: "tenant:kommun-a",
			APCert: filepath.Join(pki, "ap-a.cert.pem"), O2OCert: certFile, Expect: s.want})
		o2oBed.attacks = append(o2oBed.attacks, o2oAttack{name: s.name, participant: p, cert: c, want: s.want})
	}
	revoked := o2oBed.attacks[len(o2oBed.attacks)-1].cert.Cert
	crl, err := ca.CRL([]x509.RevocationListEntry{{SerialNumber: revoked.SerialNumber, RevocationTime: now.Add(-time.Minute)}},
		now.Add(-time.Minute), ca.Cert.Cert.NotAfter)
	if err != nil {
		return err
	}
	crlFile := filepath.Join(pki, o2oCRLFile)
	if err := os.WriteFile(crlFile, crl.Raw, 0o644); err != nil {
		return err
	}
	cfg.PublishCRLs = append(cfg.PublishCRLs, crlFile)
	cfg.CRLURLs = append(cfg.CRLURLs, localsys.PathCRL+o2oCRLFile)
	for _, c := range cfg.Tenants[1].Clients {
		if len(c.Scopes) == 1 && c.Scopes[0] == audit.ScopeAudit {
			o2oBed.auditClient = c
		}
	}
	if o2oBed.auditClient.ID == "" {
		return fmt.Errorf("conformance: kommun-b has no audit client")
	}
	return nil
}

func loadCA(pki, name string) (*demopki.Authority, error) {
	k, err := demopki.LoadKey(filepath.Join(pki, name+".key.pem"))
	if err != nil {
		return nil, err
	}
	cs, err := demopki.LoadCerts(filepath.Join(pki, name+".ca.pem"))
	if err != nil {
		return nil, err
	}
	return &demopki.Authority{Cert: demopki.Cert{Name: name, Key: k, Cert: cs[0]}}, nil
}

func TestAttackO2OSignerCertificate(t *testing.T) {
	system(t)
	for _, a := range o2oBed.attacks {
		t.Run(a.name, func(t *testing.T) {
			m := newMessageFrom(t, "registrator", a.participant, a.cert)
			ct, body := m.pack(t)
			if code, _, b := post(t, ct, body); !isReceipt(b) {
				t.Fatalf("AS4 layer: HTTP %d, error %q", code, ebmsError(b))
			}
			if a.want == "ACCEPTED" {
				waitMail(t, "registrator", m.id)
			} else {
				notDelivered(t, "registrator", m.id)
			}
			got := waitDecision(t, m.id)
			if got.Receipt != a.want {
				t.Fatalf("B's decision %+v, want kvittens %s", got, a.want)
			}
			if a.want == "REJECTED" && (got.Type != audit.TypeRejected || got.Reason != "SIG" || got.Detail != "security") {
				t.Fatalf("B's decision %+v, want rejected SIG security", got)
			}
			if k := kvittensQueued(t, m.id); k.Recipient != a.participant || k.Receipt != a.want {
				t.Fatalf("kvittens %+v, want %s to %s", k, a.want, a.participant)
			}
		})
	}
}

// auditEntries returns B's audit entries of conversation id (the test messages use
// the message id as conversation id).
func auditEntries(t *testing.T, id string) []audit.View {
	t.Helper()
	c := o2oBed.auditClient
	tok := tokenFor(t, sut.d.Tenants[1].TokenURL, c.ID, c.Secret)
	u, err := url.Parse(sut.d.HealthURL) // the shared port
	if err != nil {
		t.Fatal(err)
	}
	u.Path, u.RawQuery = localsys.PathAudit+"/entries", "conversationId="+url.QueryEscape(id)
	req, _ := http.NewRequest("GET", u.String(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Entries []audit.View }
	if err := json.NewDecoder(resp.Body).Decode(&out); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("audit: HTTP %d, %v", resp.StatusCode, err)
	}
	return out.Entries
}

// waitDecision waits for B's delivery decision on id (a delivered or rejected entry).
func waitDecision(t *testing.T, id string) audit.View {
	t.Helper()
	return waitAudit(t, id, func(v audit.View) bool {
		return v.MessageID == id && (v.Type == audit.TypeDelivered || v.Type == audit.TypeRejected)
	})
}

// kvittensQueued waits for the kvittens B submitted in answer to id.
func kvittensQueued(t *testing.T, id string) audit.View {
	t.Helper()
	return waitAudit(t, id, func(v audit.View) bool {
		return v.Type == audit.TypeSubmitted && v.RefToMessageID == id
	})
}

func waitAudit(t *testing.T, id string, match func(audit.View) bool) audit.View {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		es := auditEntries(t, id)
		for _, v := range es {
			if match(v) {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no such audit entry in %+v", id, es)
		}
		time.Sleep(30 * time.Millisecond)
	}
}
