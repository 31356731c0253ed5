// Package sigv4 signs HTTP requests with AWS Signature Version 4 ("Create a signed AWS API
// request", AWS IAM User Guide, reference_sigv-create-signed-request), the header form
// with the AWS4-HMAC-SHA256 algorithm, for the S3 API as S3 and Cloudflare R2 speak it.
// It exists so the edge Worker (edge/) can call S3 without the AWS SDK, whose size and
// network stack do not fit a Worker; it is checked against the SDK's own signer in tests.
//
// S3 rule kept here: the canonical URI is the path URI-encoded once, "/" kept (S3 does
// not double-encode, unlike other services).
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Algorithm is the signing algorithm name of Signature Version 4.
const Algorithm = "AWS4-HMAC-SHA256"

// UnsignedPayload is the payload hash value that leaves the body unsigned.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

const (
	amzDate          = "X-Amz-Date"
	amzContentSHA256 = "X-Amz-Content-Sha256"
	amzSecurityToken = "X-Amz-Security-Token"
	timeFormat       = "20060102T150405Z"
	dateFormat       = "20060102"
)

// Signer holds the credentials and scope of the signatures.
type Signer struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Region, Service                            string
}

// HashPayload is the hex SHA-256 of a body, the payload hash of a signed body.
func HashPayload(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Sign adds X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token (with a session token)
// and Authorization to r. It signs Host, Content-Type, Content-MD5 and every X-Amz-*
// header; payloadHash is HashPayload of the body or UnsignedPayload.
func (s Signer) Sign(r *http.Request, payloadHash string, t time.Time) {
	t = t.UTC()
	r.Header.Set(amzDate, t.Format(timeFormat))
	r.Header.Set(amzContentSHA256, payloadHash)
	if s.SessionToken != "" {
		r.Header.Set(amzSecurityToken, s.SessionToken)
	}
	names, canonHeaders := canonicalHeaders(r)
	creq := strings.Join([]string{r.Method, canonicalURI(r.URL.Path), canonicalQuery(r.URL.Query()),
		canonHeaders, names, payloadHash}, "\n")
	scope := strings.Join([]string{t.Format(dateFormat), s.Region, s.Service, "aws4_request"}, "/")
	sum := sha256.Sum256([]byte(creq))
	sts := strings.Join([]string{Algorithm, t.Format(timeFormat), scope, hex.EncodeToString(sum[:])}, "\n")
	key := hmacSHA256([]byte("AWS4"+s.SecretAccessKey), t.Format(dateFormat))
	for _, part := range []string{s.Region, s.Service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	sig := hex.EncodeToString(hmacSHA256(key, sts))
	r.Header.Set("Authorization", Algorithm+" Credential="+s.AccessKeyID+"/"+scope+
		", SignedHeaders="+names+", Signature="+sig)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func canonicalHeaders(r *http.Request) (names, block string) {
	vals := map[string]string{"host": hostOf(r)}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") || lk == "content-type" || lk == "content-md5" {
			trimmed := make([]string, len(vs))
			for i, v := range vs {
				trimmed[i] = strings.Join(strings.Fields(v), " ")
			}
			vals[lk] = strings.Join(trimmed, ",")
		}
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + ":" + vals[k] + "\n")
	}
	return strings.Join(keys, ";"), b.String()
}

func hostOf(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	return r.URL.Host
}

func canonicalURI(p string) string {
	if p == "" {
		return "/"
	}
	return encode(p, false)
}

func canonicalQuery(q url.Values) string {
	pairs := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, encode(k, true)+"="+encode(v, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// encode is SigV4's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper case);
// "/" too when encodeSlash.
func encode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
