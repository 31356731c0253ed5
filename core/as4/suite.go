package as4

import (
	"fmt"
	"slices"
	"time"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
)

// Profile is the processing profile that decides every algorithm and
// requirement here (core/pmode: EDelivery115, EDelivery20).
type Profile = pmode.Profile

// suite is a validated profile in the form Pack and Unpack use. suiteFor is
// the one place that reads the profile.
type suite struct {
	id           string
	method       xmldsig.SignatureMethod
	digest       xmldsig.DigestMethod
	c14n         c14n.Method
	content      xmlenc.Algorithm
	transport    *xmlenc.KeyTransport // 1.x key transport (emit)
	agreement    *xmlenc.KeyAgreement // 2.0 key agreement (emit)
	emitToken    pmode.TokenReference
	timestamp    time.Duration // > 0: emit a wsu:Timestamp with this lifetime
	compress     bool
	encryptParts bool // emit: encrypt every attachment; receive: require it (AS4_CP_TA13)

	// accepted on receipt
	signs      []xmldsig.SignatureMethod
	digests    []xmldsig.DigestMethod
	transports []xmlenc.Algorithm
	contents   []xmlenc.Algorithm
	tokens     []pmode.TokenReference
	minRSA     int
	maxRSA     int
	require    pmode.SignedParts
}

func suiteFor(p Profile) (suite, error) {
	if err := p.Validate(); err != nil {
		return suite{}, fmt.Errorf("profile %q: %w", p.ID, err)
	}
	sp := p.Security
	s := suite{
		id: p.ID, method: sp.SignatureMethod, digest: sp.DigestMethod, c14n: sp.C14N,
		content: sp.ContentEncryption, transport: sp.KeyTransport, agreement: sp.KeyAgreement,
		emitToken: sp.EmitTokenReference, compress: p.Compression.Enabled, encryptParts: sp.EncryptAttachments,
		signs: sp.AcceptSignatureMethods, digests: sp.AcceptDigestMethods, transports: sp.AcceptKeyTransports,
		contents: sp.AcceptContentEncryptions, tokens: sp.AcceptTokenReferences,
		minRSA: sp.MinRSABits, maxRSA: sp.MaxRSABits, require: sp.RequireSignedParts,
	}
	if sp.EmitTimestamp {
		s.timestamp = sp.TimestampLifetime
	}
	if !slices.Contains(s.signs, s.method) {
		s.signs = append(s.signs, s.method)
	}
	return s, nil
}

// policy is what xmldsig.Verify accepts under the profile.
func (s suite) policy() xmldsig.Policy {
	return xmldsig.Policy{Methods: s.signs, Digests: s.digests, C14N: []c14n.Method{s.c14n}, MinRSABits: s.minRSA, MaxRSABits: s.maxRSA}
}
