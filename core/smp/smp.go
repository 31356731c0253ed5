// Package smp implements OASIS Service Metadata Publishing (BDXR SMP) 1.0
// (https://docs.oasis-open.org/bdxr/bdx-smp/v1.0/bdx-smp-v1.0.html, "SMP1"): the
// ServiceGroup and SignedServiceMetadata documents (SMP1 §3), their URLs (SMP1 §3.4),
// the signature over SignedServiceMetadata (SMP1 §3.6.2), a caching client and a
// server with an admin API. The older PEPPOL ("busdox") form of the same documents
// (PEPPOL SMP 1.x, namespace http://busdox.org/serviceMetadata/publishing/1.0/) is
// parsed read-only, for interoperability tests with recorded public responses.
//
// In Säker digital kommunikation the SMP tells a sender the receiving access point
// (endpoint URL and AP certificate) and, through DIGG's CertPub extension (core/certpub),
// the recipient organisation's O2O certificates (shared/design/spec-facts.md §f).
//
// Facts that are unverified for SDK are single constants pointing to spec-facts §k:
// the transport profile (TransportProfileSDK, §k 3).
package smp

import (
	"errors"
	"fmt"
	"strings"
)

// Namespaces of the documents (SMP1 §3.1; PEPPOL SMP 1.x).
const (
	Namespace          = "http://docs.oasis-open.org/bdxr/ns/SMP/2016/05"
	NamespacePeppol    = "http://busdox.org/serviceMetadata/publishing/1.0/"
	NamespacePeppolIDs = "http://busdox.org/transport/identifiers/1.0/"
	NamespaceWSA       = "http://www.w3.org/2005/08/addressing"
)

// TransportProfile is an Endpoint@transportProfile value (SMP1 §3.6.1.3).
type TransportProfile string

const (
	// TransportProfileAS4 is the generic eDelivery AS4 1.x profile id
	// (phax/peppol-commons ESMPTransportProfile). For SDK it is unverified: spec-facts §k 3
	// (go-as4 uses "digg-transport-as4-v1_2").
	TransportProfileAS4 TransportProfile = "bdxr-transport-ebms3-as4-v1p0"
	// TransportProfileSDK is the profile Brevduva publishes and selects (spec-facts §k 3).
	TransportProfileSDK = TransportProfileAS4
)

// Identifier schemes used by SDK (spec-facts §a.2).
const (
	SchemeParticipant = "iso6523-actorid-upis"
	SchemeDocument    = "busdox-docid-qns"
	SchemeProcess     = "urn:fdc:digg.se:edelivery:process"
	// ProcessNone is the process SDK uses (spec-facts §a.2).
	ProcessNone = "bdx:noprocess"
)

// SDK document identifiers (spec-facts §a.1, §a.2), copied verbatim.
const (
	DocumentSDKMessage = "urn:riv:infrastructure:messaging:MessageWithAttachments:3::messagePayload##3.0::tm-base-ext-sigenc"
	DocumentSDKReceipt = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2::ApplicationResponse##fdc:digg.se:edelivery:messagetype:response:1::2.1::tm-base-ext-sigenc"
)

// Sentinels; errors of this package wrap one of them where it applies.
var (
	// ErrNotFound: the SMP has no such participant or document (HTTP 404, SMP TAD).
	ErrNotFound = errors.New("smp: not found")
	// ErrBadSignature: the SignedServiceMetadata signature or its certificate is not valid.
	ErrBadSignature = errors.New("smp: bad signature")
	// ErrNoEndpoint: no endpoint for the document type and transport profile.
	ErrNoEndpoint = errors.New("smp: no endpoint for document type")
	// ErrSyntax: the document is not a well-formed SMP document.
	ErrSyntax = errors.New("smp: malformed document")
	// ErrInvalid: input to a builder or the admin API is invalid.
	ErrInvalid = errors.New("smp: invalid input")
	// ErrUnauthorized: admin credentials missing or wrong.
	ErrUnauthorized = errors.New("smp: unauthorized")
)

// Identifier is a scheme-qualified identifier (SMP1 §3.6.1.1): participant, document
// or process.
type Identifier struct {
	Scheme string
	Value  string
}

// String returns the "scheme::value" form used in URLs (SMP1 §3.4).
func (id Identifier) String() string { return id.Scheme + "::" + id.Value }

// Key returns the form used for comparison: participant identifiers in the
// iso6523-actorid-upis scheme are case-insensitive (SMP TAD v1.07; spec-facts §k 21:
// compare lower-cased), so their key is lower-cased; other identifiers are compared
// exactly, and the scheme always case-insensitively.
func (id Identifier) Key() string {
	s := strings.ToLower(id.Scheme)
	if s == SchemeParticipant {
		return s + "::" + strings.ToLower(id.Value)
	}
	return s + "::" + id.Value
}

// maxIdentifier caps identifier length (the SML and SMP TAD cap values well below this).
const maxIdentifier = 1024

// ParseIdentifier parses "scheme::value". When s has no "::" — or when the part before
// the first "::" contains a ":" and so is not a scheme (schemes such as
// busdox-docid-qns carry none, while "urn:…::…" values do) — the whole of s is the
// value and defaultScheme the scheme. So "0203:digg.se" and
// "iso6523-actorid-upis::0203:digg.se" are the same participant.
func ParseIdentifier(s, defaultScheme string) (Identifier, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxIdentifier {
		return Identifier{}, fmt.Errorf("%w: identifier empty or longer than %d", ErrInvalid, maxIdentifier)
	}
	id := Identifier{Scheme: defaultScheme, Value: s}
	if i := strings.Index(s, "::"); i >= 0 && !strings.Contains(s[:i], ":") {
		id = Identifier{Scheme: s[:i], Value: s[i+2:]}
	}
	if id.Scheme == "" || id.Value == "" {
		return Identifier{}, fmt.Errorf("%w: identifier %q lacks scheme or value", ErrInvalid, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return Identifier{}, fmt.Errorf("%w: identifier %q has a control character", ErrInvalid, s)
		}
	}
	return id, nil
}

// ParseParticipant parses a participant identifier, defaulting the scheme to
// iso6523-actorid-upis.
func ParseParticipant(s string) (Identifier, error) { return ParseIdentifier(s, SchemeParticipant) }

// ParseDocument parses a document identifier, defaulting the scheme to busdox-docid-qns.
func ParseDocument(s string) (Identifier, error) { return ParseIdentifier(s, SchemeDocument) }
