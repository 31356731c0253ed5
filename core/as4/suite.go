package as4

import (
	"fmt"
	"time"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
)

// TEMPORARY until core/pmode lands: Profile stands in for pmode.Profile.
type Profile struct{ ID string }

// suite is the algorithm suite of a profile, in the form Pack and Unpack use.
// suiteFor is the one place that reads it from the profile.
type suite struct {
	id        string
	method    xmldsig.SignatureMethod
	digest    xmldsig.DigestMethod
	c14n      c14n.Method
	content   xmlenc.Algorithm
	transport *xmlenc.KeyTransport // 1.x key transport (emit)
	agreement *xmlenc.KeyAgreement // 2.0 key agreement (emit)
	// accepted on receipt
	signs        []xmldsig.SignatureMethod
	digests      []xmldsig.DigestMethod
	transports   []xmlenc.Algorithm
	contents     []xmlenc.Algorithm
	timestamp    time.Duration // > 0: emit a wsu:Timestamp with this lifetime
	compress     bool
	encryptParts bool // receipt: every attachment must be encrypted
}

func suiteFor(p Profile) (suite, error) {
	switch p.ID {
	case "edelivery-1.15":
		kt := xmlenc.AS4KeyTransport()
		return suite{id: p.ID, method: xmldsig.RSASHA256, digest: xmldsig.SHA256, c14n: c14n.ExcC14N,
			content: xmlenc.AES128GCM, transport: &kt,
			signs: []xmldsig.SignatureMethod{xmldsig.RSASHA256}, digests: []xmldsig.DigestMethod{xmldsig.SHA256},
			transports: []xmlenc.Algorithm{xmlenc.RSAOAEP, xmlenc.RSAOAEPMGF1P}, contents: []xmlenc.Algorithm{xmlenc.AES128GCM},
			compress: true, encryptParts: true}, nil
	case "edelivery-2.0":
		ka := xmlenc.AS4KeyAgreement()
		return suite{id: p.ID, method: xmldsig.Ed25519, digest: xmldsig.SHA256, c14n: c14n.ExcC14N,
			content: xmlenc.AES128GCM, agreement: &ka,
			signs: []xmldsig.SignatureMethod{xmldsig.Ed25519}, digests: []xmldsig.DigestMethod{xmldsig.SHA256},
			transports: []xmlenc.Algorithm{xmlenc.X25519}, contents: []xmlenc.Algorithm{xmlenc.AES128GCM},
			compress: true, encryptParts: true}, nil
	}
	return suite{}, fmt.Errorf("unknown profile %q", p.ID)
}
