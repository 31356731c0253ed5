// Package pmode holds Brevduva's processing modes (ebMS 3.0 Core §4 and
// Appendix D, P-Mode parameters) as plain values: the eDelivery AS4 1.15
// Common Profile that SDK uses and the eDelivery AS4 2.0 profile (spec-facts
// §g), and the SDK leg parameters DIGG's Domibus P-Mode fixes (spec-facts
// §a.1, sdk-docs: stöd-och-exempel/Domibus/P-mode/p-mode.xml).
//
// A Profile is a value (STYLE rule 9): EDelivery115 and EDelivery20 return a
// fresh copy each call, Validate reports every violation at once and nothing
// here has side effects. Values marked ⚠U in spec-facts live in one named
// constant or field each, whose comment points to spec-facts §k.
package pmode

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
)

// Profile IDs accepted by ByID.
const (
	IDEDelivery115 = "edelivery-1.15"
	IDEDelivery20  = "edelivery-2.0"
)

// ErrInvalid is wrapped by every violation Validate reports.
var ErrInvalid = errors.New("pmode: invalid profile")

// ErrUnknown is returned by ByID for an unknown profile id.
var ErrUnknown = errors.New("pmode: unknown profile")

// TokenReference is how a wsse:SecurityTokenReference names the certificate
// (WSS X.509 Certificate Token Profile 1.1.1 §3.2).
type TokenReference string

// Token reference forms (spec-facts §k 9: emit BST; accept BST, SKI, IssuerSerial).
const (
	// TokenBST is a direct reference to a wsse:BinarySecurityToken (X509v3) in the message.
	TokenBST TokenReference = "BinarySecurityToken"
	// TokenSKI is a wsse:KeyIdentifier with the X509SubjectKeyIdentifier value type.
	TokenSKI TokenReference = "SubjectKeyIdentifier"
	// TokenIssuerSerial is a ds:X509Data/ds:X509IssuerSerial.
	TokenIssuerSerial TokenReference = "IssuerSerial"
)

// Profile is one AS4 processing profile.
type Profile struct {
	ID              string
	Security        SecurityPolicy
	Compression     Compression
	Reliability     Reliability
	MaxMessageBytes int64 // HTTP body cap; ⚠U spec-facts §k 19: 30 MB content ≈ 40 MB on the wire
}

// SecurityPolicy is the WS-Security part of a profile (eDelivery AS4 1.15
// §2.2.6 security; spec-facts §a "AS4 layer" column, §g for 2.0).
type SecurityPolicy struct {
	SignatureMethod   xmldsig.SignatureMethod
	DigestMethod      xmldsig.DigestMethod
	C14N              c14n.Method
	ContentEncryption xmlenc.Algorithm
	// Exactly one of KeyTransport (RSA, 1.x) and KeyAgreement (X25519, 2.0) is set.
	KeyTransport *xmlenc.KeyTransport
	KeyAgreement *xmlenc.KeyAgreement

	// What a receiver accepts. The emitted choice must be among them.
	AcceptSignatureMethods   []xmldsig.SignatureMethod
	AcceptDigestMethods      []xmldsig.DigestMethod
	AcceptKeyTransports      []xmlenc.Algorithm // key transport or agreement algorithms; ⚠U spec-facts §k 10
	AcceptContentEncryptions []xmlenc.Algorithm

	// Token references: emit one form, accept a list (⚠U spec-facts §k 9).
	EmitTokenReference    TokenReference
	AcceptTokenReferences []TokenReference

	// EmitTimestamp adds a wsu:Timestamp to sent messages; received ones are
	// accepted with or without (⚠U spec-facts §k 8).
	EmitTimestamp bool
	// TimestampLifetime is the lifetime of an emitted wsu:Timestamp.
	TimestampLifetime time.Duration

	MinRSABits, MaxRSABits int // RSA key sizes accepted (1.x)

	// RequireSignedParts lists what the signature must cover (AS4_CP_TA12).
	RequireSignedParts SignedParts
	// EncryptAttachments requires every attachment to be encrypted (AS4_CP_TA13).
	EncryptAttachments bool
}

// SignedParts says which parts a signature must cover.
type SignedParts struct {
	Messaging   bool // eb:Messaging, by wsu:Id
	Body        bool // the SOAP Body
	Attachments bool // every MIME attachment, by cid:
}

// Compression is the AS4 payload compression feature (AS4 Profile §3.1).
type Compression struct {
	Enabled bool   // compress payloads before signing (DIGG: compressPayloads="true")
	Type    string // CompressionType, ebms.CompressionGzip
}

// Reliability is AS4 reception awareness and duplicate detection (AS4
// Profile §3.2–3.4; eDelivery AS4 1.15: WS-RM and WS-Reliability are not used).
type Reliability struct {
	ReceptionAwareness bool
	Retry              RetrySchedule
	DuplicateDetection bool
	NonRepudiation     bool   // receipts carry ebbp:NonRepudiationInformation
	ReplyPattern       string // "response": receipts come on the HTTP response
}

// RetryStrategy is how retries are spaced.
type RetryStrategy string

// RetryConstant spaces retries evenly (Domibus "CONSTANT").
const RetryConstant RetryStrategy = "CONSTANT"

// RetrySchedule is Domibus's receptionAwareness@retry, "timeout;count;strategy":
// Count retries spread over Timeout.
type RetrySchedule struct {
	Timeout  time.Duration
	Count    int
	Strategy RetryStrategy
}

// Bounds on a retry schedule: a week, and a thousand retries.
const (
	maxRetryMinutes = 7 * 24 * 60
	maxRetries      = 1000
)

// ParseRetry parses a Domibus retry value such as DIGG's "12;4;CONSTANT"
// (minutes; retries; strategy). Only CONSTANT is supported.
func ParseRetry(s string) (RetrySchedule, error) {
	f := strings.Split(s, ";")
	if len(f) != 3 {
		return RetrySchedule{}, fmt.Errorf("pmode: retry %q: %w: want minutes;count;strategy", s, ErrInvalid)
	}
	mins, err := strconv.Atoi(strings.TrimSpace(f[0]))
	if err != nil || mins <= 0 || mins > maxRetryMinutes {
		return RetrySchedule{}, fmt.Errorf("pmode: retry %q: %w: minutes must be an integer in 1..%d", s, ErrInvalid, maxRetryMinutes)
	}
	n, err := strconv.Atoi(strings.TrimSpace(f[1]))
	if err != nil || n < 0 || n > maxRetries {
		return RetrySchedule{}, fmt.Errorf("pmode: retry %q: %w: count must be an integer in 0..%d", s, ErrInvalid, maxRetries)
	}
	st := RetryStrategy(strings.TrimSpace(f[2]))
	if st != RetryConstant {
		return RetrySchedule{}, fmt.Errorf("pmode: retry %q: %w: strategy %q not supported", s, ErrInvalid, st)
	}
	return RetrySchedule{Timeout: time.Duration(mins) * time.Minute, Count: n, Strategy: st}, nil
}

// String formats r as ParseRetry reads it.
func (r RetrySchedule) String() string {
	return fmt.Sprintf("%d;%d;%s", int(r.Timeout/time.Minute), r.Count, r.Strategy)
}

// Delays returns the wait before each retry: Count equal steps filling Timeout.
func (r RetrySchedule) Delays() []time.Duration {
	if r.Count <= 0 {
		return nil
	}
	d := make([]time.Duration, r.Count)
	for i := range d {
		d[i] = r.Timeout / time.Duration(r.Count)
	}
	return d
}

// DIGGRetry is the retry of DIGG's sample P-Mode: 4 retries over 12 minutes,
// constant (⚠U spec-facts §k 18: it is a sample, not a rule).
const DIGGRetry = "12;4;CONSTANT"

// EDelivery115 returns the eDelivery AS4 1.15 Common Profile as SDK uses it
// (spec-facts §a, §g; DIGG's P-Mode selects eDeliveryAS4Policy_BST with
// RSA_SHA256 and the Basic128GCMSha256MgfSha256 suite).
func EDelivery115() Profile {
	kt := xmlenc.AS4KeyTransport() // rsa-oaep + mgf1sha256 + sha256 (⚠U spec-facts §k 10)
	retry, err := ParseRetry(DIGGRetry)
	if err != nil {
		panic("internal error: " + err.Error())
	}
	return Profile{
		ID: IDEDelivery115,
		Security: SecurityPolicy{
			SignatureMethod:          xmldsig.RSASHA256,
			DigestMethod:             xmldsig.SHA256,
			C14N:                     c14n.ExcC14N,
			ContentEncryption:        xmlenc.AES128GCM,
			KeyTransport:             &kt,
			AcceptSignatureMethods:   []xmldsig.SignatureMethod{xmldsig.RSASHA256},
			AcceptDigestMethods:      []xmldsig.DigestMethod{xmldsig.SHA256},
			AcceptKeyTransports:      []xmlenc.Algorithm{xmlenc.RSAOAEP, xmlenc.RSAOAEPMGF1P}, // ⚠U spec-facts §k 10
			AcceptContentEncryptions: []xmlenc.Algorithm{xmlenc.AES128GCM},
			EmitTokenReference:       TokenBST,                                                // ⚠U spec-facts §k 9
			AcceptTokenReferences:    []TokenReference{TokenBST, TokenSKI, TokenIssuerSerial}, // ⚠U spec-facts §k 9
			EmitTimestamp:            false,                                                   // ⚠U spec-facts §k 8
			TimestampLifetime:        5 * time.Minute,
			MinRSABits:               2048,
			MaxRSABits:               4096,
			RequireSignedParts:       SignedParts{Messaging: true, Body: true, Attachments: true},
			EncryptAttachments:       true,
		},
		Compression: Compression{Enabled: true, Type: ebms.CompressionGzip},
		Reliability: Reliability{
			ReceptionAwareness: true,
			Retry:              retry,
			DuplicateDetection: true,
			NonRepudiation:     true,
			ReplyPattern:       ReplyPatternResponse,
		},
		MaxMessageBytes: 40 << 20, // ⚠U spec-facts §k 19
	}
}

// EDelivery20 returns the eDelivery AS4 2.0 profile (spec-facts §g): Ed25519
// signatures, X25519 key agreement with HKDF (hmac-sha256) and kw-aes128,
// aes128-gcm content encryption. HKDF parameters are WSS4J's (⚠U spec-facts §k 24).
func EDelivery20() Profile {
	p := EDelivery115()
	ka := xmlenc.AS4KeyAgreement()
	p.ID = IDEDelivery20
	p.Security.SignatureMethod = xmldsig.Ed25519
	p.Security.AcceptSignatureMethods = []xmldsig.SignatureMethod{xmldsig.Ed25519}
	p.Security.KeyTransport = nil
	p.Security.KeyAgreement = &ka
	p.Security.AcceptKeyTransports = []xmlenc.Algorithm{xmlenc.X25519}
	p.Security.MinRSABits, p.Security.MaxRSABits = 0, 0
	return p
}

// ByID returns the profile with the given id.
func ByID(id string) (Profile, error) {
	switch id {
	case IDEDelivery115:
		return EDelivery115(), nil
	case IDEDelivery20:
		return EDelivery20(), nil
	}
	return Profile{}, fmt.Errorf("pmode: profile %q: %w", id, ErrUnknown)
}

// Validate reports every violation of the AS4 rules in p, joined with
// errors.Join; each wraps ErrInvalid. It has no side effects.
func (p Profile) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("pmode %q: %w: %s", p.ID, ErrInvalid, fmt.Sprintf(format, a...)))
	}
	s := p.Security
	if p.ID == "" {
		bad("empty ID")
	}
	switch s.SignatureMethod {
	case xmldsig.RSASHA256, xmldsig.RSASHA512, xmldsig.ECDSASHA256, xmldsig.Ed25519:
	default: // eDelivery AS4 1.15: rsa-sha256 (TA12); 2.0: eddsa-ed25519 or ecdsa-sha256
		bad("signature method %q not allowed", s.SignatureMethod)
	}
	if s.DigestMethod != xmldsig.SHA256 && s.DigestMethod != xmldsig.SHA512 { // TA12: sha256
		bad("digest method %q not allowed", s.DigestMethod)
	}
	if s.C14N != c14n.ExcC14N { // spec-facts §a: AS4 uses exclusive c14n
		bad("canonicalization %q is not exclusive c14n", s.C14N)
	}
	if s.ContentEncryption != xmlenc.AES128GCM && s.ContentEncryption != xmlenc.AES256GCM { // TA13: aes128-gcm
		bad("content encryption %q is not AES-GCM", s.ContentEncryption)
	}
	rsa := s.SignatureMethod == xmldsig.RSASHA256 || s.SignatureMethod == xmldsig.RSASHA512 || s.SignatureMethod == xmldsig.RSASHA1
	switch {
	case (s.KeyTransport == nil) == (s.KeyAgreement == nil):
		bad("exactly one of KeyTransport and KeyAgreement must be set")
	case s.KeyTransport != nil:
		kt := s.KeyTransport
		switch kt.Algorithm {
		case xmlenc.RSAOAEP:
			if kt.MGF == "" || kt.Digest == "" {
				bad("key transport %s needs MGF and DigestMethod", kt.Algorithm)
			}
		case xmlenc.RSAOAEPMGF1P:
		default:
			bad("key transport %q is not RSA-OAEP", kt.Algorithm)
		}
		if !slices.Contains(s.AcceptKeyTransports, kt.Algorithm) {
			bad("emitted key transport %s is not accepted", kt.Algorithm)
		}
		if !rsa {
			bad("key transport with a non-RSA signature method %s", s.SignatureMethod)
		}
	case s.KeyAgreement != nil:
		ka := s.KeyAgreement
		if ka.Algorithm != xmlenc.X25519 && ka.Algorithm != xmlenc.ECDHES {
			bad("key agreement %q is not X25519 or ECDH-ES", ka.Algorithm)
		}
		if ka.KDF != xmlenc.HKDF && ka.KDF != xmlenc.ConcatKDF {
			bad("key derivation %q not allowed", ka.KDF)
		}
		if ka.Wrap != xmlenc.KWAES128 && ka.Wrap != xmlenc.KWAES256 {
			bad("key wrap %q is not AES key wrap", ka.Wrap)
		}
		if !slices.Contains(s.AcceptKeyTransports, ka.Algorithm) {
			bad("emitted key agreement %s is not accepted", ka.Algorithm)
		}
		if rsa {
			bad("key agreement with an RSA signature method %s", s.SignatureMethod)
		}
	}
	if !slices.Contains(s.AcceptSignatureMethods, s.SignatureMethod) {
		bad("emitted signature method %s is not accepted", s.SignatureMethod)
	}
	if slices.Contains(s.AcceptSignatureMethods, xmldsig.RSASHA1) {
		bad("rsa-sha1 accepted")
	}
	if !slices.Contains(s.AcceptDigestMethods, s.DigestMethod) {
		bad("emitted digest method %s is not accepted", s.DigestMethod)
	}
	if slices.Contains(s.AcceptDigestMethods, xmldsig.SHA1) {
		bad("sha1 digests accepted")
	}
	if !slices.Contains(s.AcceptContentEncryptions, s.ContentEncryption) {
		bad("emitted content encryption %s is not accepted", s.ContentEncryption)
	}
	for _, tr := range append([]TokenReference{s.EmitTokenReference}, s.AcceptTokenReferences...) {
		switch tr {
		case TokenBST, TokenSKI, TokenIssuerSerial:
		default:
			bad("token reference %q unknown", tr)
		}
	}
	if !slices.Contains(s.AcceptTokenReferences, s.EmitTokenReference) {
		bad("emitted token reference %s is not accepted", s.EmitTokenReference)
	}
	if s.EmitTimestamp && s.TimestampLifetime <= 0 {
		bad("timestamp emitted without a lifetime")
	}
	if rsa {
		if s.MinRSABits < 2048 { // RSA below 2048 bits is refused (DIGG's AP CA issues RSA-3072, spec-facts §j)
			bad("MinRSABits %d below 2048", s.MinRSABits)
		}
		if s.MaxRSABits < s.MinRSABits {
			bad("MaxRSABits %d below MinRSABits %d", s.MaxRSABits, s.MinRSABits)
		}
	}
	if sp := s.RequireSignedParts; !sp.Messaging || !sp.Body || !sp.Attachments { // AS4_CP_TA12
		bad("the signature must cover eb:Messaging, the Body and every attachment")
	}
	if p.Compression.Enabled && p.Compression.Type != ebms.CompressionGzip { // AS4 Profile §3.1
		bad("compression type %q is not %s", p.Compression.Type, ebms.CompressionGzip)
	}
	r := p.Reliability
	if r.Retry.Count < 0 || (r.Retry.Count > 0 && r.Retry.Timeout <= 0) {
		bad("retry schedule %s invalid", r.Retry)
	}
	if r.Retry.Count > 0 && r.Retry.Strategy != RetryConstant {
		bad("retry strategy %q not supported", r.Retry.Strategy)
	}
	if r.ReceptionAwareness && !r.NonRepudiation { // eDelivery AS4 1.15: receipts with NRI
		bad("reception awareness without non-repudiation receipts")
	}
	if r.ReplyPattern != ReplyPatternResponse { // eDelivery AS4 1.15 / 2.0: synchronous receipts
		bad("reply pattern %q is not %q", r.ReplyPattern, ReplyPatternResponse)
	}
	if p.MaxMessageBytes <= 0 {
		bad("MaxMessageBytes must be positive")
	}
	return errors.Join(errs...)
}

// ReplyPatternResponse: signals come back on the HTTP response (Domibus
// replyPattern="response"; eDelivery AS4: synchronous receipts).
const ReplyPatternResponse = "response"
