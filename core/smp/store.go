package smp

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/brevduva/brevduva/core/certpub"
)

// Registration is everything the SMP publishes for one participant.
type Registration struct {
	Participant  Identifier
	Services     []Service
	Certificates []certpub.Certificate // CertPub O2O certificates, added to every ServiceInformation
}

// Service is the metadata for one document type.
type Service struct {
	Document  Identifier
	Process   Identifier
	Endpoints []Endpoint
}

// Store keeps registrations. Implementations wrap ErrNotFound for unknown participants
// and compare participants by Identifier.Key.
type Store interface {
	Get(ctx context.Context, participant Identifier) (*Registration, error)
	Put(ctx context.Context, r *Registration) error
	Delete(ctx context.Context, participant Identifier) error
}

// Validate checks r for publication; it returns every problem found.
func (r *Registration) Validate() error {
	var errs []error
	add := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...))
	}
	if err := checkID(r.Participant, "participant"); err != nil {
		errs = append(errs, err)
	}
	seen := map[string]bool{}
	for _, s := range r.Services {
		if err := checkID(s.Document, "document"); err != nil {
			errs = append(errs, err)
		}
		if err := checkID(s.Process, "process"); err != nil {
			errs = append(errs, err)
		}
		if seen[s.Document.Key()] {
			add("document %s registered twice", s.Document)
		}
		seen[s.Document.Key()] = true
		profiles := map[TransportProfile]bool{}
		for _, e := range s.Endpoints {
			if profiles[e.TransportProfile] || e.TransportProfile == "" {
				add("%s: transport profile %q empty or twice", s.Document, e.TransportProfile)
			}
			profiles[e.TransportProfile] = true
			if u, err := url.Parse(e.URI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				add("%s: endpoint URL %q is not absolute http(s)", s.Document, e.URI)
			}
			if _, err := e.Certificate(); err != nil {
				add("%s: %v", s.Document, err)
			}
		}
	}
	for _, c := range r.Certificates {
		if (c.Use != certpub.Signing && c.Use != certpub.Encryption) || c.Cert == nil {
			add("certpub certificate with use %q", c.Use)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}
