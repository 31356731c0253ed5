package ebms

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// NRDigest is what one ds:Reference copy in a non-repudiation receipt
// asserts: the part it names and that part's digest.
type NRDigest struct {
	URI          string // "#id" or "cid:…"
	DigestMethod string // algorithm URI, e.g. xmldsig.SHA256
	DigestValue  []byte
}

// Digests decodes the receipt's ds:Reference copies, so the sender can match
// them against the digests it signed (eDelivery AS4 1.15 reception
// awareness; a mismatch is EBMS:0302 InvalidReceipt).
func (r *Receipt) Digests() ([]NRDigest, error) {
	out := make([]NRDigest, 0, len(r.NRReferences))
	for i, ref := range r.NRReferences {
		if !xmlsafe.Is(ref, NSDS, "Reference") {
			return nil, NewError(InvalidReceipt, fmt.Sprintf("receipt reference %d is not a ds:Reference", i), nil)
		}
		uri, _ := xmlsafe.Attr(ref, "", "URI")
		dm := xmlsafe.Children(ref, NSDS, "DigestMethod")
		dv := xmlsafe.Children(ref, NSDS, "DigestValue")
		if len(dm) != 1 || len(dv) != 1 {
			return nil, NewError(InvalidReceipt, fmt.Sprintf("receipt reference %q lacks DigestMethod or DigestValue", uri), nil)
		}
		alg, _ := xmlsafe.Attr(dm[0], "", "Algorithm")
		val, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(dv[0].Text()), ""))
		if err != nil {
			return nil, NewError(InvalidReceipt, fmt.Sprintf("receipt reference %q: DigestValue is not base64", uri), err)
		}
		out = append(out, NRDigest{URI: uri, DigestMethod: strings.TrimSpace(alg), DigestValue: val})
	}
	return out, nil
}

// ParseEnvelope finds the one eb:Messaging header block of env (ebMS 3.0
// Core §5.2.1: an ebMS message has exactly one) and parses it.
func ParseEnvelope(env *soap.Envelope) (*Messaging, error) {
	blocks := env.HeaderBlocks(NS, "Messaging")
	switch len(blocks) {
	case 1:
		return ParseMessaging(blocks[0])
	case 0:
		return nil, invalidHeader("no eb:Messaging header")
	}
	return nil, invalidHeader("%d eb:Messaging headers", len(blocks))
}

// MessagingElement returns the eb:Messaging header block of env, for callers
// that need the element itself (to check it is the one signed).
func MessagingElement(env *soap.Envelope) (*etree.Element, error) {
	blocks := env.HeaderBlocks(NS, "Messaging")
	if len(blocks) != 1 {
		return nil, invalidHeader("%d eb:Messaging headers, want 1", len(blocks))
	}
	return blocks[0], nil
}
