package smp

import (
	"fmt"
	"net/url"
	"strings"
)

// EscapeSegment percent-encodes s as one URL path segment: every octet except the
// RFC 3986 §2.3 unreserved characters (ALPHA DIGIT - . _ ~) becomes %XX. SMP1 §3.4
// requires the "scheme::value" identifier to be percent-encoded as a segment, and SMP
// servers differ in what they accept unencoded (":" and "#" in particular), so
// everything else is encoded (spec-facts §f: "…/iso6523-actorid-upis%3A%3A0203%3Adigg.se").
func EscapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ServiceGroupURL returns {base}/{scheme::value} (SMP1 §3.4). base may carry a path.
func ServiceGroupURL(base *url.URL, participant Identifier) (string, error) {
	b, err := baseString(base)
	if err != nil {
		return "", err
	}
	return b + "/" + EscapeSegment(participant.String()), nil
}

// ServiceMetadataURL returns {base}/{participant}/services/{document} (SMP1 §3.4;
// "/services/" is literal).
func ServiceMetadataURL(base *url.URL, participant, document Identifier) (string, error) {
	sg, err := ServiceGroupURL(base, participant)
	if err != nil {
		return "", err
	}
	return sg + "/services/" + EscapeSegment(document.String()), nil
}

func baseString(base *url.URL) (string, error) {
	if base == nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return "", fmt.Errorf("%w: SMP base URL %v is not absolute http(s)", ErrInvalid, base)
	}
	if base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return "", fmt.Errorf("%w: SMP base URL %v has query, fragment or user info", ErrInvalid, base)
	}
	u := *base
	return strings.TrimSuffix(u.String(), "/"), nil
}

// SplitPath splits an escaped request path below the server's base into the
// participant and, for service metadata, the document identifier: "/{p}" or
// "/{p}/services/{d}". Segments are percent-decoded; "+" stays "+".
func SplitPath(escaped string) (participant Identifier, document *Identifier, err error) {
	segs := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	dec := func(s string) (string, error) {
		v, err := url.PathUnescape(s)
		if err != nil {
			return "", fmt.Errorf("%w: path segment %q: %w", ErrInvalid, s, err)
		}
		return v, nil
	}
	switch {
	case len(segs) == 1 && segs[0] != "":
	case len(segs) == 3 && segs[0] != "" && segs[1] == "services" && segs[2] != "":
	default:
		return Identifier{}, nil, fmt.Errorf("%w: path %q is not /{participant} or /{participant}/services/{document}", ErrNotFound, escaped)
	}
	ps, err := dec(segs[0])
	if err != nil {
		return Identifier{}, nil, err
	}
	if participant, err = ParseParticipant(ps); err != nil {
		return Identifier{}, nil, err
	}
	if len(segs) == 3 {
		ds, err := dec(segs[2])
		if err != nil {
			return Identifier{}, nil, err
		}
		d, err := ParseDocument(ds)
		if err != nil {
			return Identifier{}, nil, err
		}
		document = &d
	}
	return participant, document, nil
}
