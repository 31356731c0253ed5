// Package mime reads and writes MIME multipart/related messages (RFC 2387) as
// used by SOAP Messages with Attachments (W3C Note 11 December 2000, "SwA") and
// by AS4: the SOAP envelope is the root part and every payload is a further
// part named by its Content-ID (RFC 2045 §7, RFC 2392), which eb:PartInfo@href
// and the WS-Security SwA Profile 1.1 references point to with a cid: URL.
//
// The Reader streams: it reads the root (SOAP) part whole, up to a cap, and
// hands every attachment out as an io.Reader that never buffers more than a
// small window of the part. Part count, header bytes and part sizes are capped
// (Limits). Bodies in Content-Transfer-Encoding 7bit, 8bit, binary, base64 and
// quoted-printable (RFC 2045 §6) are decoded; anything else is refused.
//
// The Writer produces what phase4 and Domibus put on the wire: a quoted
// boundary, type="application/soap+xml", start="<root-cid>", Content-ID in
// angle brackets and Content-Transfer-Encoding: binary on every part.
package mime

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Media types and header names used by SwA and AS4.
const (
	// MultipartRelated is the media type of RFC 2387 §3.
	MultipartRelated = "multipart/related"
	// SOAP12 is the media type of a SOAP 1.2 envelope (RFC 3902); the `type`
	// parameter of an AS4 message (SOAP 1.2 §7, eDelivery AS4 1.15 §2.1).
	SOAP12 = "application/soap+xml"
	// SOAP11 is the media type of a SOAP 1.1 envelope (SwA §2: type="text/xml").
	SOAP11 = "text/xml"
)

// Limits caps what a Reader accepts.
type Limits struct {
	MaxParts       int   // parts in the message, root included
	MaxHeaderBytes int   // bytes of one part's header block (and of the preamble)
	MaxRootBytes   int64 // decoded bytes of the root (SOAP) part
	MaxPartBytes   int64 // bytes of one attachment as it appears on the wire
}

// DefaultLimits suit AS4 messages of SDK size (30 MB content, §k 19 of
// spec-facts: about 40 MB on the wire): 64 parts, 16 KiB of headers per part,
// a 16 MiB SOAP part and 64 MiB per attachment.
var DefaultLimits = Limits{
	MaxParts:       64,
	MaxHeaderBytes: 16 << 10,
	MaxRootBytes:   16 << 20,
	MaxPartBytes:   64 << 20,
}

// Sentinels; every error of this package wraps one of them.
var (
	// ErrMediaType: the message is not multipart/related, or its type or
	// start parameters do not match its root part.
	ErrMediaType = errors.New("mime: wrong media type")
	// ErrSyntax: the multipart body or a part header is malformed or truncated.
	ErrSyntax = errors.New("mime: malformed multipart body")
	// ErrLimit: a Limits cap was exceeded.
	ErrLimit = errors.New("mime: limit exceeded")
	// ErrContentID: an attachment has no Content-ID, a duplicate one, or one
	// that is not a valid msg-id.
	ErrContentID = errors.New("mime: bad Content-ID")
	// ErrEncoding: an unknown Content-Transfer-Encoding, or a body that does
	// not decode.
	ErrEncoding = errors.New("mime: bad Content-Transfer-Encoding")
)

// NormalizeCID returns the bare Content-ID that s names, in the form that
// compares equal between a cid: URL and a Content-ID header:
//
//	"cid:a%40b"  -> "a@b"  (RFC 2392 §2: the URL form is %hh-escaped, no brackets)
//	"<a@b>"      -> "a@b"  (RFC 2045 §7: the header form is a msg-id in brackets)
//	"a@b"        -> "a@b"  (bare form some peers send in the header, e.g. phase4 in 2016)
//
// The "cid:" scheme is matched case-insensitively (RFC 3986 §3.1). Empty
// identifiers, unbalanced brackets and control characters are errors.
func NormalizeCID(s string) (string, error) {
	orig := s
	s = strings.TrimSpace(s)
	switch {
	case len(s) >= 4 && strings.EqualFold(s[:4], "cid:"):
		u, err := url.PathUnescape(s[4:])
		if err != nil {
			return "", fmt.Errorf("mime: cid url %q: %w: %w", orig, ErrContentID, err)
		}
		s = u
	case strings.HasPrefix(s, "<") || strings.HasSuffix(s, ">"):
		if len(s) < 2 || !strings.HasPrefix(s, "<") || !strings.HasSuffix(s, ">") {
			return "", fmt.Errorf("mime: content-id %q: %w: unbalanced angle brackets", orig, ErrContentID)
		}
		s = s[1 : len(s)-1]
	}
	if s == "" {
		return "", fmt.Errorf("mime: content-id %q: %w: empty", orig, ErrContentID)
	}
	if len(s) >= 4 && strings.EqualFold(s[:4], "cid:") {
		// "<cid:x>" and "cid:cid:x" would name the same part as the bare
		// "cid:x", which itself reads as the URL of "x": refuse the ambiguity.
		return "", fmt.Errorf("mime: content-id %q: %w: starts with the cid scheme", orig, ErrContentID)
	}
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e || c == '<' || c == '>' { // RFC 5322 msg-id is printable US-ASCII
			return "", fmt.Errorf("mime: content-id %q: %w: character %q not allowed", orig, ErrContentID, c)
		}
	}
	return s, nil
}
