package conformance

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/localsys"
)

// Certificate attacks on the AS4 signature, through Kommun B's running AP: the driver
// signs a valid message with an AP certificate that is wrong in one way. Each is
// refused with EBMS:0101 (FailedAuthentication: core/as4 checkTrust → core/trust) and
// not delivered. The first case is the control: a certificate issued the same way
// without the fault is accepted, so each refusal comes from its fault.

// demoCA is a demo CA with its key (the demo writes both).
func demoCA(t *testing.T, name string) *demopki.Authority {
	t.Helper()
	ca, err := loadCA(sut.pki, name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// signedBy posts a message for registrator signed with c (From/PartyId = c's CN) and
// reports the ebMS error code ("" for a receipt) and the message id.
func signedBy(t *testing.T, c *demopki.Cert) (string, string) {
	t.Helper()
	m := newMessage(t, "registrator")
	m.packer.Sender = as4.Sender{Key: c.Key, Cert: c.Cert}
	m.um.From.ID = c.Cert.Subject.CommonName
	ct, body := m.pack(t)
	code, _, b := post(t, ct, body)
	if isReceipt(b) {
		return "", m.id
	}
	e := ebmsError(b)
	if e == "" {
		t.Fatalf("HTTP %d: neither receipt nor ebMS error: %.300s", code, b)
	}
	return e, m.id
}

func TestAttackAS4SignerCertificate(t *testing.T) {
	system(t)
	ca := demoCA(t, "ap-ca")
	cn := sut.d.Tenants[0].APPartyID
	now := time.Now().Truncate(time.Second)
	spoof, err := demopki.NewCA(ca.Cert.Cert.Subject.CommonName, demopki.Options{Bits: 2048, Org: ca.Cert.Cert.Subject.Organization[0]})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ca   *demopki.Authority
		o    demopki.Options
		want string
	}{
		{"control: valid, digitalSignature", ca, demopki.Options{}, ""},
		{"expired", ca, demopki.Options{NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.Add(-time.Hour)}, "EBMS:0101"},
		{"not yet valid", ca, demopki.Options{NotBefore: now.Add(time.Hour)}, "EBMS:0101"},
		{"encryption-only key usage", ca, demopki.Options{KeyUsage: x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment}, "EBMS:0101"},
		{"certSign-only key usage", ca, demopki.Options{KeyUsage: x509.KeyUsageCertSign}, "EBMS:0101"},
		// A different CA with the AP CA's exact name: issuer DN matches, signature does not.
		{"wrong CA with the AP CA's name", spoof, demopki.Options{}, "EBMS:0101"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.o.Bits = 2048
			cert, err := c.ca.Issue(cn, c.o)
			if err != nil {
				t.Fatal(err)
			}
			got, id := signedBy(t, cert)
			if got != c.want {
				t.Fatalf("error %q, want %q", got, c.want)
			}
			if c.want == "" {
				waitMail(t, "registrator", id)
			} else if n := mailCount(t, "registrator", id); n != 0 {
				t.Fatalf("delivered %d", n)
			}
		})
	}
}

// The O2O layer: the test bed's utgangen-o2o participant has an expired organisation
// certificate in CertPub. An XHE it signs with that key, carried by a valid AS4
// message from A's AP, crosses AS4 (receipt) but B's message service refuses it
// (core/msh deliver: o2o.Open checks the CertPub certificate with the O2O trust
// store) and delivers nothing.
func TestAttackO2OSignerExpired(t *testing.T) {
	system(t)
	m := newMessageFrom(t, "registrator", localsys.TestExpiredO2O, leaf(t, "org-expired"))
	ct, body := m.pack(t)
	if code, _, b := post(t, ct, body); !isReceipt(b) {
		t.Fatalf("AS4 layer: HTTP %d, error %q", code, ebmsError(b))
	}
	notDelivered(t, "registrator", m.id)
}

// DR_TA02–04 (subject identity): an AP's party id is the CN of its AP certificate
// (spec-facts §a.1), so B refuses a message whose From/PartyId is not the signer's CN
// (EBMS:0101, core/msh receive), although the signer chains to the AP CA. The control
// cases of TestAttackAS4SignerCertificate show From = CN accepted.
func TestAS4_DR_TA03_SubjectIdentity(t *testing.T) {
	system(t)
	other, err := demoCA(t, "ap-ca").Issue("AP0050-BREVDUVA-ANNAN", demopki.Options{Bits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		c    *demopki.Cert
		from string
	}{
		{"A's certificate, another AP's party id", leaf(t, "ap-a"), "AP0050-BREVDUVA-ANNAN"},
		{"another AP's certificate, A's party id", other, sut.d.Tenants[0].APPartyID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newMessage(t, "registrator")
			m.packer.Sender = as4.Sender{Key: c.c.Key, Cert: c.c.Cert}
			m.um.From.ID = c.from
			ct, body := m.pack(t)
			refused(t, m.id, "EBMS:0101", ct, body)
		})
	}
}
