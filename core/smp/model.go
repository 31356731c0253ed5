package smp

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/beevik/etree"
)

// Flavour tells which namespace a parsed document used.
type Flavour int

const (
	OASIS  Flavour = iota // BDXR SMP 1.0
	Peppol                // PEPPOL busdox SMP 1.x, read-only
)

// ServiceGroup is SMP1 §3.5: the participant and its service metadata references.
type ServiceGroup struct {
	Participant Identifier
	References  []string // ServiceMetadataReference@href
	Extensions  []Extension
	Flavour     Flavour
}

// ServiceMetadata is SMP1 §3.6: either ServiceInformation or Redirect.
type ServiceMetadata struct {
	Information *ServiceInformation
	Redirect    *Redirect
	Flavour     Flavour
}

// ServiceInformation is SMP1 §3.6.1.
type ServiceInformation struct {
	Participant Identifier
	Document    Identifier
	Processes   []Process
	Extensions  []Extension
}

// Process is SMP1 §3.6.1.2.
type Process struct {
	ID         Identifier
	Endpoints  []Endpoint
	Extensions []Extension
}

// Endpoint is SMP1 §3.6.1.3.
type Endpoint struct {
	TransportProfile              TransportProfile
	URI                           string // EndpointURI (PEPPOL: EndpointReference/Address)
	RequireBusinessLevelSignature bool
	MinimumAuthenticationLevel    string
	ActivationDate                time.Time // zero = not given
	ExpirationDate                time.Time // zero = not given
	CertificateDER                []byte
	Description                   string
	TechnicalContactURL           string
	TechnicalInformationURL       string
	Extensions                    []Extension
}

// Certificate parses CertificateDER.
func (e Endpoint) Certificate() (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(e.CertificateDER)
	if err != nil {
		return nil, fmt.Errorf("smp: endpoint certificate: %w", err)
	}
	return c, nil
}

// ActiveAt reports whether t is within the endpoint's activation and expiration dates.
func (e Endpoint) ActiveAt(t time.Time) bool {
	if !e.ActivationDate.IsZero() && t.Before(e.ActivationDate) {
		return false
	}
	if !e.ExpirationDate.IsZero() && !t.Before(e.ExpirationDate) {
		return false
	}
	return true
}

// Redirect is SMP1 §3.6.2.1: the metadata lives at Href, signed by the certificate
// whose subject unique identifier is CertificateUID.
type Redirect struct {
	Href           string
	CertificateUID string
	Extensions     []Extension
}

// Extension is SMP1 ExtensionType: optional descriptive fields and at most one element
// of a foreign namespace (Content, a copy).
type Extension struct {
	ID, Name, AgencyID, AgencyName, AgencyURI, VersionID, URI, ReasonCode, Reason string
	Content                                                                       *etree.Element
}

func extFields(x *Extension) []struct {
	local string
	val   *string
} {
	return []struct {
		local string
		val   *string
	}{
		{"ExtensionID", &x.ID}, {"ExtensionName", &x.Name}, {"ExtensionAgencyID", &x.AgencyID},
		{"ExtensionAgencyName", &x.AgencyName}, {"ExtensionAgencyURI", &x.AgencyURI},
		{"ExtensionVersionID", &x.VersionID}, {"ExtensionURI", &x.URI},
		{"ExtensionReasonCode", &x.ReasonCode}, {"ExtensionReason", &x.Reason},
	}
}

// Endpoint returns the endpoint of the first process whose id equals process (any
// process when process is the zero Identifier) with the given transport profile that
// is active at now. It fails with ErrNoEndpoint (SMP TAD: one endpoint per transport
// profile).
func (si *ServiceInformation) Endpoint(process Identifier, profile TransportProfile, now time.Time) (*Endpoint, error) {
	var seen []string
	for i := range si.Processes {
		p := &si.Processes[i]
		if process != (Identifier{}) && p.ID.Key() != process.Key() {
			continue
		}
		for j := range p.Endpoints {
			e := &p.Endpoints[j]
			seen = append(seen, string(e.TransportProfile))
			if e.TransportProfile == profile && e.ActiveAt(now) {
				return e, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: %s, transport profile %s, at %s (profiles offered: %v)",
		ErrNoEndpoint, si.Document, profile, now.UTC().Format(time.RFC3339), seen)
}
