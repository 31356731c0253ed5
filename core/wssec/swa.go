package wssec

import (
	"bytes"
	"fmt"
	stdmime "mime"
	"strings"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// AttachmentContent returns the octets the Attachment-Content-Signature-Transform
// (SwA 1.1.1, Attachment Signature) hands to the digest for an attachment whose MIME
// Content-Type is contentType and whose body, after Content-Transfer-Encoding
// decoding, is body. No MIME header is included (that is the
// Attachment-Complete transform). The content is first put in canonical form
// (SwA 1.1.1, MIME Content Canonicalization; WSS4J does the same):
//   - XML content types (text/xml, application/xml, */*+xml) by Exclusive XML
//     Canonicalization without comments;
//   - other text/* types by turning every line ending into CR LF (RFC 2046 §4.1.1);
//   - everything else (AS4's application/gzip and application/octet-stream) as is.
//
// body is not modified.
func AttachmentContent(contentType string, body []byte) ([]byte, error) {
	switch contentClass(contentType) {
	case classXML:
		doc, err := xmlsafe.ParseBytes(body, xmlsafe.DefaultLimits)
		if err != nil {
			return nil, fmt.Errorf("wssec: XML attachment (SwA MIME content canonicalization): %w", err)
		}
		out, err := c14n.CanonicalizeDocument(c14n.ExcC14N, doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("wssec: canonicalize XML attachment: %w", err)
		}
		return out, nil
	case classText:
		return crlf(body), nil
	}
	return body, nil
}

// IsRawContent reports whether AttachmentContent returns the body unchanged for
// contentType, so callers may hash the part as it streams.
func IsRawContent(contentType string) bool { return contentClass(contentType) == classRaw }

type class int

const (
	classRaw class = iota
	classText
	classXML
)

func contentClass(ct string) class {
	mt, _, err := stdmime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(ct))
	}
	switch {
	case mt == "text/xml" || mt == "application/xml" || strings.HasSuffix(mt, "+xml"):
		return classXML
	case strings.HasPrefix(mt, "text/"):
		return classText
	}
	return classRaw
}

// crlf turns CR LF, lone CR and lone LF into CR LF.
func crlf(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/32)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			out.WriteString("\r\n")
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '\n':
			out.WriteString("\r\n")
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}
