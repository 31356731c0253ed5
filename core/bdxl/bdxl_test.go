package bdxl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Expected BDXL names below were computed independently with Python's hashlib and
// base64 (b32encode(sha256(v.lower())).rstrip("=").lower()).
func TestName(t *testing.T) {
	tests := []struct {
		cfg           Config
		scheme, value string
		want          string
	}{
		// PEPPOL vectors: spec-facts §f (b2brouter participant lookup for 0192:993467049).
		{Config{Zone: "acc.edelivery.tech.ec.europa.eu", Mode: ModePeppol}, "iso6523-actorid-upis", "9915:test",
			"B-85008b8279e07ab0392da75fa55856a2.iso6523-actorid-upis.acc.edelivery.tech.ec.europa.eu"},
		{Config{Zone: "edelivery.tech.ec.europa.eu.", Mode: ModePeppol}, "iso6523-actorid-upis", "0192:993467049",
			"B-9377fb89562abe7facc3ac77fd087772.iso6523-actorid-upis.edelivery.tech.ec.europa.eu"},
		// Case of the value does not change the name.
		{Config{Zone: "z.example", Mode: ModePeppol}, "iso6523-actorid-upis", "9915:TEST",
			"B-85008b8279e07ab0392da75fa55856a2.iso6523-actorid-upis.z.example"},
		{Config{Zone: "z.example"}, "iso6523-actorid-upis", "0203:digg.se",
			"72chqpy5ohsq6xr4iy7fdoegwgqcf5mmnoj5tbwqifxcvjumf52a.iso6523-actorid-upis.z.example"},
		{Config{Zone: "Z.Example", Mode: ModeBDXL}, "ISO6523-actorid-upis", "0203:DIGG.se",
			"72chqpy5ohsq6xr4iy7fdoegwgqcf5mmnoj5tbwqifxcvjumf52a.iso6523-actorid-upis.z.example"},
		{Config{Zone: "z.example", HashScheme: true}, "iso6523-actorid-upis", "0203:digg.se",
			"axt5asqzydnxfmrmscfp7ddohlctocucliyp7r42h3j5fx7q6saa.iso6523-actorid-upis.z.example"},
	}
	for _, tc := range tests {
		got, err := tc.cfg.Name(tc.scheme, tc.value)
		if err != nil || got != tc.want {
			t.Errorf("%+v Name(%q, %q) = %q, %v; want %q", tc.cfg, tc.scheme, tc.value, got, err, tc.want)
		}
	}
}

func TestNameErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg           Config
		scheme, value string
	}{
		{Config{}, "iso6523-actorid-upis", "0203:x"},
		{Config{Zone: "z"}, "", "0203:x"},
		{Config{Zone: "z"}, "iso6523-actorid-upis", ""},
		{Config{Zone: "z", Mode: "x"}, "iso6523-actorid-upis", "0203:x"},
		{Config{Zone: "z"}, "bad scheme", "0203:x"},
		{Config{Zone: "a..b"}, "s", "0203:x"},
		{Config{Zone: strings.Repeat("a.", 120) + "b"}, "s", "0203:x"},
	} {
		if got, err := tc.cfg.Name(tc.scheme, tc.value); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v Name(%q,%q) = %q, %v; want ErrConfig", tc.cfg, tc.scheme, tc.value, got, err)
		}
	}
}

func TestParseRegexp(t *testing.T) {
	ok := []struct{ re, in, want string }{
		{"!^.*$!https://smp.example.com!", "abc.zone", "https://smp.example.com"},
		{"!^.*$!http://smp.example.com/path!", "", "http://smp.example.com/path"},
		{"!^([a-z0-9]+)\\.(.*)$!https://\\2/smp/\\1!", "abc.iso.zone", "https://iso.zone/smp/abc"},
		{"#^.*$#https://a.example/x!y#", "q", "https://a.example/x!y"},
		{"!^A.*$!https://a.example!i", "abc", "https://a.example"},
		{"!^.*$!https://a.example/\\!\\\\!", "x", "https://a.example/!\\"},
		{"|^a\\|b$|https://c.example|", "a|b", "https://c.example"},
	}
	for _, tc := range ok {
		re, err := ParseRegexp(tc.re)
		if err != nil {
			t.Errorf("ParseRegexp(%q): %v", tc.re, err)
			continue
		}
		got, matched := re.Apply(tc.in)
		if !matched || got != tc.want {
			t.Errorf("%q.Apply(%q) = %q, %v; want %q", tc.re, tc.in, got, matched, tc.want)
		}
	}
	bad := []string{
		"",
		"!^.*$!https://x",    // two delimiters
		"!^.*$!https://x!!",  // four
		"a^.*$ahttps://xa",   // letter delimiter
		"1^.*$1https://x1",   // digit delimiter
		"\\^.*$\\x\\",        // backslash delimiter
		"!^.*$!https://x!g",  // unknown flag
		"!!https://x!",       // empty ERE
		"!^(.*$!https://x!",  // bad ERE
		"!^.*$!https://\\1!", // back-reference to no group
		"!^.*$!https://\\n!", // unknown escape
		"!^.*$!https://x\\",  // trailing backslash
		"!" + strings.Repeat("a", MaxRegexpLen) + "!x!", // too long
	}
	for _, s := range bad {
		if _, err := ParseRegexp(s); err == nil {
			t.Errorf("ParseRegexp(%q) accepted", s)
		}
	}
}

func TestEvalNAPTR(t *testing.T) {
	const aus = "h.iso6523-actorid-upis.z"
	recs := []NAPTR{
		{Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://second.example!"},
		{Order: 10, Preference: 20, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://pref20.example!"},
		{Order: 10, Preference: 10, Flags: "U", Service: "meta:smp", Regexp: "!^nomatch$!https://nomatch.example!"},
		{Order: 1, Preference: 1, Flags: "U", Service: "Meta:CPA", Regexp: "!^.*$!https://cpa.example!"},
		{Order: 1, Preference: 1, Flags: "S", Service: "Meta:SMP", Regexp: "", Replacement: "_smp._tcp.x"},
		{Order: 1, Preference: 2, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!ftp://ftp.example!"},
		{Order: 1, Preference: 3, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://r.example!", Replacement: "x.example"},
	}
	u, err := EvalNAPTR(recs, aus, ServiceMetaSMP)
	if err != nil || u.String() != "https://pref20.example" {
		t.Fatalf("EvalNAPTR = %v, %v; want https://pref20.example", u, err)
	}
	if _, err := EvalNAPTR(recs[3:4], aus, ServiceMetaSMP); !errors.Is(err, ErrNotFound) {
		t.Errorf("no Meta:SMP record: err = %v, want ErrNotFound", err)
	}
	if _, err := EvalNAPTR(recs[4:], aus, ServiceMetaSMP); !errors.Is(err, ErrBadRecord) {
		t.Errorf("only unusable records: err = %v, want ErrBadRecord", err)
	}
	many := make([]NAPTR, MaxRecords+1)
	if _, err := EvalNAPTR(many, aus, ServiceMetaSMP); !errors.Is(err, ErrBadRecord) {
		t.Errorf("too many records: err = %v", err)
	}
}

type fakeResolver struct {
	naptr map[string][]NAPTR
	cname map[string]string
}

func (f fakeResolver) LookupNAPTR(_ context.Context, name string) ([]NAPTR, error) {
	if r, ok := f.naptr[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("fake: %s: %w", name, ErrNotFound)
}

func (f fakeResolver) LookupCNAME(_ context.Context, name string) (string, error) {
	if r, ok := f.cname[name]; ok {
		return r, nil
	}
	return "", fmt.Errorf("fake: %s: %w", name, ErrNotFound)
}

func TestLocator(t *testing.T) {
	ctx := context.Background()
	bd := Config{Zone: "z.example"}
	name, _ := bd.Name("iso6523-actorid-upis", "0203:digg.se")
	pp := Config{Zone: "z.example", Mode: ModePeppol}
	pname, _ := pp.Name("iso6523-actorid-upis", "0203:digg.se")
	res := fakeResolver{
		naptr: map[string][]NAPTR{name: {{Order: 1, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://smp.example/base!"}}},
		cname: map[string]string{pname: "smp.example"},
	}
	u, err := Locator{bd, res}.SMPURL(ctx, "iso6523-actorid-upis", "0203:DIGG.se")
	if err != nil || u.String() != "https://smp.example/base" {
		t.Errorf("bdxl SMPURL = %v, %v", u, err)
	}
	u, err = Locator{pp, res}.SMPURL(ctx, "iso6523-actorid-upis", "0203:digg.se")
	if err != nil || u.String() != "http://"+pname+"/" {
		t.Errorf("peppol SMPURL = %v, %v", u, err)
	}
	for _, cfg := range []Config{bd, pp} {
		if _, err := (Locator{cfg, res}).SMPURL(ctx, "iso6523-actorid-upis", "0203:other.se"); !errors.Is(err, ErrNotFound) {
			t.Errorf("%v: unknown participant: err = %v, want ErrNotFound", cfg.Mode, err)
		}
	}
	if _, err := (Locator{Config: bd}).SMPURL(ctx, "iso6523-actorid-upis", "0203:x"); !errors.Is(err, ErrConfig) {
		t.Errorf("nil resolver: %v", err)
	}
}

func FuzzParseRegexp(f *testing.F) {
	f.Add("!^.*$!https://smp.example.com!", "x")
	f.Add("!^([a-z]+)\\.(.*)$!https://\\2/\\1!i", "ab.cd")
	f.Add("#a\\#b#\\\\#", "a#b")
	f.Fuzz(func(t *testing.T, s, in string) {
		re, err := ParseRegexp(s)
		if err != nil {
			return
		}
		if out, ok := re.Apply(in); ok && len(out) > MaxURLLen+MaxRegexpLen+len(in)*10 {
			t.Fatalf("unbounded output %d", len(out))
		}
	})
}

func FuzzName(f *testing.F) {
	f.Add("z.example", "iso6523-actorid-upis", "0203:digg.se", true)
	f.Fuzz(func(t *testing.T, zone, scheme, value string, peppol bool) {
		c := Config{Zone: zone}
		if peppol {
			c.Mode = ModePeppol
		}
		n, err := c.Name(scheme, value)
		if err == nil && (len(n) > maxName || strings.ToLower(n) != n && !peppol) {
			t.Fatalf("bad name %q", n)
		}
	})
}
