package bdxl

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Caps on what EvalNAPTR accepts from the DNS.
const (
	MaxRecords   = 64   // NAPTR records considered at one name
	MaxRegexpLen = 1024 // octets of one regexp field
	MaxURLLen    = 2048 // octets of a substitution result
)

// EvalNAPTR selects, among recs, the U-NAPTR records (flag "U", RFC 4848 §2) whose
// service equals service (case-insensitively, RFC 3403 §4.1), orders them by Order then
// Preference (RFC 3403 §4.1), and returns the URL produced by the first whose regexp
// matches aus, the Application Unique String (the queried DNS name).
//
// RFC 4848 §2: a U record MUST have an empty Replacement and a non-empty Regexp; records
// that break this, or whose regexp does not parse (ParseRegexp), are skipped, and when
// no record yields a URL the error wraps ErrBadRecord (or ErrNotFound when no record
// carries the service at all). The URL must be absolute http or https (BDXL 1.0 §3.2.1).
func EvalNAPTR(recs []NAPTR, aus, service string) (*url.URL, error) {
	if len(recs) > MaxRecords {
		return nil, fmt.Errorf("%w: %d NAPTR records, at most %d", ErrBadRecord, len(recs), MaxRecords)
	}
	var cand []NAPTR
	for _, r := range recs {
		if strings.EqualFold(r.Service, service) {
			cand = append(cand, r)
		}
	}
	if len(cand) == 0 {
		return nil, fmt.Errorf("%w: no NAPTR record with service %s", ErrNotFound, service)
	}
	sort.SliceStable(cand, func(i, j int) bool {
		if cand[i].Order != cand[j].Order {
			return cand[i].Order < cand[j].Order
		}
		return cand[i].Preference < cand[j].Preference
	})
	var errs []string
	for _, r := range cand {
		u, err := evalOne(r, aus)
		if err == nil {
			return u, nil
		}
		errs = append(errs, err.Error())
	}
	return nil, fmt.Errorf("%w: no usable %s record: %s", ErrBadRecord, service, strings.Join(errs, "; "))
}

func evalOne(r NAPTR, aus string) (*url.URL, error) {
	if !strings.EqualFold(r.Flags, FlagU) {
		return nil, fmt.Errorf("flags %q are not %q", r.Flags, FlagU)
	}
	if r.Replacement != "" && r.Replacement != "." {
		return nil, fmt.Errorf("u record with replacement %q", r.Replacement)
	}
	re, err := ParseRegexp(r.Regexp)
	if err != nil {
		return nil, err
	}
	out, ok := re.Apply(aus)
	if !ok {
		return nil, fmt.Errorf("regexp %q does not match", r.Regexp)
	}
	if len(out) > MaxURLLen {
		return nil, fmt.Errorf("result longer than %d", MaxURLLen)
	}
	u, err := url.Parse(out)
	if err != nil {
		return nil, fmt.Errorf("result %q: %w", out, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("result %q is not an absolute http(s) URL", out)
	}
	return u, nil
}

// Regexp is a parsed NAPTR substitution expression (RFC 3402 §3.2):
// delim-char ERE delim-char replacement delim-char [ "i" ].
type Regexp struct {
	re   *regexp.Regexp
	repl []replPart
}

type replPart struct {
	lit string
	ref int // 1–9 when this part is a back-reference
}

// ParseRegexp parses the regexp field of a NAPTR record strictly: at most MaxRegexpLen
// octets; the delimiter is a printable ASCII character that is neither a digit, a
// letter, nor a backslash (RFC 3402 §3.2 delim-char); exactly three unescaped
// delimiters; the only flag is "i"; in the replacement only \1–\9, \\ and an escaped
// delimiter are allowed, and a back-reference must name a group of the expression.
//
// The expression is compiled with Go's regexp (RE2 syntax, linear time), which accepts
// the POSIX EREs used in practice ("^.*$" and the like).
func ParseRegexp(s string) (*Regexp, error) {
	if s == "" {
		return nil, fmt.Errorf("empty regexp")
	}
	if len(s) > MaxRegexpLen {
		return nil, fmt.Errorf("regexp longer than %d", MaxRegexpLen)
	}
	d := s[0]
	if d <= ' ' || d >= 0x7f || d == '\\' || d >= '0' && d <= '9' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' {
		return nil, fmt.Errorf("regexp %q: bad delimiter %q", s, d)
	}
	// Split into ERE, replacement and flags on unescaped delimiters.
	var parts [3]strings.Builder
	field := 0
	for i := 1; i < len(s); i++ {
		c := s[i]
		if field == 2 {
			parts[2].WriteByte(c)
			continue
		}
		if c == '\\' {
			if i+1 >= len(s) {
				return nil, fmt.Errorf("regexp %q: trailing backslash", s)
			}
			n := s[i+1]
			i++
			if n == d {
				if field == 0 {
					parts[0].WriteString(regexp.QuoteMeta(string(d)))
				} else {
					parts[1].WriteString(`\` + string(d))
				}
				continue
			}
			parts[field].WriteByte('\\')
			parts[field].WriteByte(n)
			continue
		}
		if c == d {
			field++
			continue
		}
		parts[field].WriteByte(c)
	}
	if field != 2 {
		return nil, fmt.Errorf("regexp %q: want 3 delimiters %q", s, d)
	}
	flags := parts[2].String()
	if flags != "" && flags != "i" {
		return nil, fmt.Errorf("regexp %q: flags %q (only \"i\")", s, flags)
	}
	ere := parts[0].String()
	if ere == "" {
		return nil, fmt.Errorf("regexp %q: empty expression", s)
	}
	if flags == "i" {
		ere = "(?i)" + ere
	}
	re, err := regexp.Compile(ere)
	if err != nil {
		return nil, fmt.Errorf("regexp %q: %w", s, err)
	}
	repl, err := parseRepl(parts[1].String(), d, re.NumSubexp())
	if err != nil {
		return nil, fmt.Errorf("regexp %q: %w", s, err)
	}
	return &Regexp{re: re, repl: repl}, nil
}

func parseRepl(s string, d byte, groups int) ([]replPart, error) {
	var out []replPart
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			lit.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("replacement ends in backslash")
		}
		n := s[i+1]
		i++
		switch {
		case n >= '1' && n <= '9':
			ref := int(n - '0')
			if ref > groups {
				return nil, fmt.Errorf("back-reference \\%d but %d groups", ref, groups)
			}
			if lit.Len() > 0 {
				out = append(out, replPart{lit: lit.String()})
				lit.Reset()
			}
			out = append(out, replPart{ref: ref})
		case n == '\\' || n == d:
			lit.WriteByte(n)
		default:
			return nil, fmt.Errorf("escape \\%c in replacement", n)
		}
	}
	if lit.Len() > 0 {
		out = append(out, replPart{lit: lit.String()})
	}
	return out, nil
}

// Apply matches s and returns the substitution: the replacement with back-references
// expanded (RFC 3402 §3.2: the whole replacement, not a search-and-replace within s).
func (r *Regexp) Apply(s string) (string, bool) {
	m := r.re.FindStringSubmatchIndex(s)
	if m == nil {
		return "", false
	}
	var b strings.Builder
	for _, p := range r.repl {
		if p.ref == 0 {
			b.WriteString(p.lit)
			continue
		}
		if a, z := m[2*p.ref], m[2*p.ref+1]; a >= 0 {
			b.WriteString(s[a:z])
		}
		if b.Len() > MaxURLLen {
			return "", false
		}
	}
	return b.String(), true
}
