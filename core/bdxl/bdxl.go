// Package bdxl finds the SMP of a participant through the DNS, as OASIS Business
// Document Metadata Service Location (BDXL) 1.0 §3 specifies with U-NAPTR records
// (RFC 4848) and as the PEPPOL SML specification (v1.x §3.3) does with a CNAME.
//
// The DNS name of a participant depends on the environment: the SML zone, the lookup
// mode and the input to the hash are configuration (shared/design/spec-facts.md §f and
// §k 4 — what DIGG's SDK environments use is unverified):
//
//   - ModeBDXL: lowercase(base32(SHA-256(lowercase(value)))) without "=" padding, then
//     "." scheme "." zone (BDXL 1.0 §3.2; Peppol Policy for use of identifiers 4.x, POLICY 7).
//   - ModePeppol: "B-" hex(MD5(lowercase(value))) "." scheme "." zone (PEPPOL SML 1.x §3.3).
//
// With Config.HashScheme the hash input is "scheme::value" instead of value, the
// alternative that §k 4 keeps open.
//
// The package knows no DNS client: a Resolver port is declared here and implemented in
// infra/dns, so that it builds for js/wasm.
package bdxl

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Mode is how an environment's SML publishes participants.
type Mode string

const (
	// ModeBDXL is OASIS BDXL 1.0 with U-NAPTR records (the default, spec-facts §k 4).
	ModeBDXL Mode = "bdxl"
	// ModePeppol is the PEPPOL SML CNAME form.
	ModePeppol Mode = "peppol"
)

// DefaultMode is the lookup mode used when a Config leaves it empty. Unverified for
// DIGG's SDK environments: spec-facts §k 4.
const DefaultMode = ModeBDXL

// ServiceMetaSMP is the U-NAPTR service tag of an SMP (BDXL 1.0 §3.2.1 "Meta:SMP").
const ServiceMetaSMP = "Meta:SMP"

// FlagU is the U-NAPTR terminal flag (RFC 4848 §2).
const FlagU = "U"

// peppolPrefix starts every PEPPOL SML host name (PEPPOL SML 1.x §3.3).
const peppolPrefix = "B-"

// Sentinels. Errors from this package wrap one of them where it applies.
var (
	// ErrNotFound: the participant is not published in the zone.
	ErrNotFound = errors.New("bdxl: participant not found in DNS")
	// ErrBadRecord: a record exists but cannot be used (bad regexp, no U record, bad URL).
	ErrBadRecord = errors.New("bdxl: unusable DNS record")
	// ErrConfig: the configuration or identifier is invalid.
	ErrConfig = errors.New("bdxl: invalid configuration")
)

// Config is one environment's SML configuration (spec-facts §k 4).
type Config struct {
	Zone string // e.g. "acc.edelivery.tech.ec.europa.eu"; trailing dot optional
	Mode Mode   // "" = DefaultMode
	// HashScheme hashes "scheme::value" instead of value alone (spec-facts §k 4).
	HashScheme bool
}

func (c Config) mode() Mode {
	if c.Mode == "" {
		return DefaultMode
	}
	return c.Mode
}

// maxLabel and maxName are RFC 1035 §2.3.4's limits.
const (
	maxLabel = 63
	maxName  = 253
)

// Name returns the DNS name (without trailing dot) to query for the participant
// scheme::value. The value is lower-cased before hashing in both modes (BDXL 1.0 §3.2,
// PEPPOL SML §3.3; identifiers are case-insensitive per SMP TAD v1.07); the scheme is
// lower-cased in the name.
func (c Config) Name(scheme, value string) (string, error) {
	zone := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(c.Zone)), ".")
	if zone == "" {
		return "", fmt.Errorf("%w: empty zone", ErrConfig)
	}
	if scheme == "" || value == "" {
		return "", fmt.Errorf("%w: empty participant scheme or value", ErrConfig)
	}
	scheme = strings.ToLower(scheme)
	if err := checkLabel(scheme); err != nil {
		return "", fmt.Errorf("%w: scheme: %w", ErrConfig, err)
	}
	in := strings.ToLower(value)
	if c.HashScheme {
		in = scheme + "::" + in
	}
	var hash string
	switch c.mode() {
	case ModeBDXL:
		sum := sha256.Sum256([]byte(in))
		hash = strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
	case ModePeppol:
		sum := md5.Sum([]byte(in))
		hash = peppolPrefix + hex.EncodeToString(sum[:])
	default:
		return "", fmt.Errorf("%w: unknown mode %q", ErrConfig, c.Mode)
	}
	name := hash + "." + scheme + "." + zone
	for _, l := range strings.Split(zone, ".") {
		if err := checkLabel(l); err != nil {
			return "", fmt.Errorf("%w: zone: %w", ErrConfig, err)
		}
	}
	if len(name) > maxName {
		return "", fmt.Errorf("%w: name longer than %d octets", ErrConfig, maxName)
	}
	return name, nil
}

func checkLabel(l string) error {
	if l == "" || len(l) > maxLabel {
		return fmt.Errorf("label %q is empty or longer than %d", l, maxLabel)
	}
	for i := 0; i < len(l); i++ {
		b := l[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return fmt.Errorf("label %q has character %q", l, b)
		}
	}
	return nil
}

// NAPTR is one NAPTR resource record (RFC 3403 §4.1).
type NAPTR struct {
	Order, Preference uint16
	Flags, Service    string
	Regexp            string
	Replacement       string
}

// Resolver looks DNS records up. Implementations wrap ErrNotFound when the name does
// not exist (NXDOMAIN) or holds no record of the type asked for, and honour ctx.
type Resolver interface {
	LookupNAPTR(ctx context.Context, name string) ([]NAPTR, error)
	// LookupCNAME returns the target of the CNAME at name, without trailing dot.
	LookupCNAME(ctx context.Context, name string) (string, error)
}

// Locator resolves participants to SMP base URLs.
type Locator struct {
	Config   Config
	Resolver Resolver
}

// SMPURL returns the base URL of the participant's SMP.
//
// In ModeBDXL it queries the NAPTR records at Name and evaluates the best "Meta:SMP" U
// record (EvalNAPTR). In ModePeppol it checks that the CNAME at Name exists and returns
// "http://" + Name (PEPPOL SML §3.3: the SMP is reached by that host name, port 80).
func (l Locator) SMPURL(ctx context.Context, scheme, value string) (*url.URL, error) {
	name, err := l.Config.Name(scheme, value)
	if err != nil {
		return nil, err
	}
	if l.Resolver == nil {
		return nil, fmt.Errorf("%w: no resolver", ErrConfig)
	}
	switch l.Config.mode() {
	case ModePeppol:
		if _, err := l.Resolver.LookupCNAME(ctx, name); err != nil {
			return nil, fmt.Errorf("bdxl: cname %s: %w", name, err)
		}
		return &url.URL{Scheme: "http", Host: name, Path: "/"}, nil
	default:
		recs, err := l.Resolver.LookupNAPTR(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("bdxl: naptr %s: %w", name, err)
		}
		u, err := EvalNAPTR(recs, name, ServiceMetaSMP)
		if err != nil {
			return nil, fmt.Errorf("bdxl: naptr %s: %w", name, err)
		}
		return u, nil
	}
}
