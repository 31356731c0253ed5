package addressbook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/brevduva/brevduva/core/addressbook"
	"github.com/brevduva/brevduva/core/addressbook/addressbooktest"
)

func TestFoldAndMatch(t *testing.T) {
	// "Göteborg" with a decomposed ö (o + U+0308) and "ÅRE" in capitals.
	if got := addressbook.Fold("  Go\u0308teborgs   STAD "); got != "göteborgs stad" {
		t.Errorf("Fold = %q", got)
	}
	if addressbook.Fold("Å") != addressbook.Fold("a\u030A") || addressbook.Fold("Ä") != "ä" || addressbook.Fold("Straße") != "strasse" {
		t.Error("composition or folding")
	}
	if addressbook.Fold("\u212A") != addressbook.Fold("k") { // KELVIN SIGN
		t.Error("simple folding orbit")
	}
	yes := [][2]string{
		{"Göteborgs Stad", "göte"}, {"Göteborgs Stad", "GÖTEBORG"}, {"Göteborgs Stad", "stad"},
		{"Örebro kommun", "ö"}, {"Örebro kommun", "o\u0308re"}, {"Region Jämtland Härjedalen", "härj"},
		{"Åre kommun", "åre"}, {"Skatteverket (SKV)", "skv"}, {"x", ""},
	}
	for _, c := range yes {
		if !addressbook.Match(c[0], c[1]) {
			t.Errorf("Match(%q, %q) = false", c[0], c[1])
		}
	}
	no := [][2]string{{"Örebro kommun", "ore"}, {"Åre kommun", "are"}, {"Göteborgs Stad", "borg"}, {"Malmö", "malmö stad"}}
	for _, c := range no {
		if addressbook.Match(c[0], c[1]) {
			t.Errorf("Match(%q, %q) = true", c[0], c[1])
		}
	}
}

func validOrg() addressbook.Organization {
	return addressbook.Organization{ID: "kommun-b", Type: addressbook.TypeOrganization, ParticipantIdentifier: "0203:kommun-b.se",
		OrganizationNumber: "212000-0001", Name: "Kommun B", CountryCode: "SE"}
}

func TestValidate(t *testing.T) {
	if err := validOrg().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*addressbook.Organization){
		"lt in name":        func(o *addressbook.Organization) { o.Name = "a<script>" },
		"gt in description": func(o *addressbook.Organization) { o.Description = "a>b" },
		"long name":         func(o *addressbook.Organization) { o.Name = strings.Repeat("å", 257) },
		"long description":  func(o *addressbook.Organization) { o.Description = strings.Repeat("x", 1025) },
		"not 0203":          func(o *addressbook.Organization) { o.ParticipantIdentifier = "0007:212000-0001" },
		"bare 0203":         func(o *addressbook.Organization) { o.ParticipantIdentifier = "0203:" },
		"country":           func(o *addressbook.Organization) { o.CountryCode = "se" },
		"type":              func(o *addressbook.Organization) { o.Type = "x" },
		"ou without parent": func(o *addressbook.Organization) { o.Type = addressbook.TypeUnit },
		"o with parent":     func(o *addressbook.Organization) { o.Parent = "p" },
		"control":           func(o *addressbook.Organization) { o.AlternateName = "a\x00" },
		"no name":           func(o *addressbook.Organization) { o.Name = "" },
	} {
		o := validOrg()
		mut(&o)
		if err := o.Validate(); !errors.Is(err, addressbook.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Exactly 256 characters (not octets) is allowed.
	o := validOrg()
	o.Name = strings.Repeat("ö", 256)
	if err := o.Validate(); err != nil || utf8.RuneCountInString(o.Name) != 256 {
		t.Errorf("256 characters: %v", err)
	}
	a := addressbook.Address{ID: "a", Identifier: strings.Repeat("x", 257), Name: "n", Parent: "p"}
	if err := a.Validate(); !errors.Is(err, addressbook.ErrInvalid) {
		t.Error("identifier over 256 accepted")
	}
}

const token = "ab-admin"

func newAPI(t *testing.T) (*httptest.Server, addressbook.Book) {
	t.Helper()
	m := addressbooktest.NewMemory()
	h, err := addressbook.NewHandler(addressbook.HandlerOptions{Book: m.Book(), AdminToken: token})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, m.Book()
}

func do(t *testing.T, ts *httptest.Server, method, path, body string, auth bool) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, b)
		}
	}
	return resp.StatusCode, m, resp.Header
}

func putOrg(t *testing.T, ts *httptest.Server, id, attrs, parent string) int {
	rel := ""
	if parent != "" {
		rel = `,"relationships":{"parent":{"data":{"type":"organizations","id":"` + parent + `"}}}`
	}
	st, _, _ := do(t, ts, "PUT", "/addressbook/admin/organizations/"+id, `{"data":{"type":"organizations","id":"`+id+`","attributes":`+attrs+rel+`}}`, true)
	return st
}

func seed(t *testing.T, ts *httptest.Server) {
	orgs := []struct{ id, attrs, parent string }{
		{"gbg", `{"type":"o","participantIdentifier":"0203:goteborg.se","organizationNumber":"212000-1355","name":"Göteborgs Stad","countryCode":"SE"}`, ""},
		{"orebro", `{"type":"o","participantIdentifier":"0203:orebro.se","organizationNumber":"212000-1967","name":"Örebro kommun","alternateName":"Örebro","description":"Kommun i Närke","countryCode":"SE"}`, ""},
		{"are", `{"type":"o","participantIdentifier":"0203:are.se","organizationNumber":"212000-2411","name":"Åre kommun","countryCode":"SE"}`, ""},
		{"gbg-social", `{"type":"ou","participantIdentifier":"0203:goteborg.se","organizationNumber":"212000-1355","name":"Socialförvaltningen Göteborg","countryCode":"SE"}`, "gbg"},
	}
	for _, o := range orgs {
		if st := putOrg(t, ts, o.id, o.attrs, o.parent); st != http.StatusOK {
			t.Fatalf("put %s = %d", o.id, st)
		}
	}
	for _, a := range []struct{ id, ident, name, parent string }{
		{"a1", "sdk:inkorg:0203:goteborg.se", "Inkorg", "gbg"},
		{"a2", "SE2321000016-00001", "Ekonomi", "gbg-social"},
		{"a3", "test.function", "Registrator", "orebro"},
	} {
		st, _, _ := do(t, ts, "PUT", "/addressbook/admin/addresses/"+a.id,
			`{"data":{"type":"addresses","attributes":{"identifier":"`+a.ident+`","name":"`+a.name+`"},"relationships":{"parent":{"data":{"type":"organizations","id":"`+a.parent+`"}}}}}`, true)
		if st != http.StatusOK {
			t.Fatalf("put address %s = %d", a.id, st)
		}
	}
}

func ids(m map[string]any) []string {
	var out []string
	for _, d := range m["data"].([]any) {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}

func TestReadAPI(t *testing.T) {
	ts, _ := newAPI(t)
	seed(t, ts)
	q := func(s string) string { return strings.NewReplacer("[", "%5B", "]", "%5D").Replace(s) }
	cases := []struct {
		path string
		want string
	}{
		{"/addressbook/api/organizations?" + q("filter[name]=göte"), "gbg,gbg-social"},
		{"/addressbook/api/organizations?" + q("filter[name]=") + url.QueryEscape("ÖREBRO"), "orebro"},
		{"/addressbook/api/organizations?" + q("filter[name]=") + url.QueryEscape("a\u030Are"), "are"}, // decomposed å
		{"/addressbook/api/organizations?" + q("filter[name]=are"), ""},
		{"/addressbook/api/organizations?" + q("filter[type]=ou"), "gbg-social"},
		{"/addressbook/api/organizations?" + q("filter[participantIdentifier]=0203:GOTEBORG.se&filter[type]=o"), "gbg"},
		{"/addressbook/api/addresses?" + q("filter[participantIdentifier]=0203:goteborg.se"), "a2,a1"},
		{"/addressbook/api/addresses?" + q("filter[identifier]=test.function"), "a3"},
		{"/addressbook/api/addresses?" + q("filter[parent]=gbg"), "a1"},
		{"/addressbook/api/organizations?" + q("page[size]=2&page[number]=2"), "are,orebro"}, // Swedish order: g, s, å, ö
	}
	for _, c := range cases {
		st, m, h := do(t, ts, "GET", c.path, "", false)
		if st != 200 || strings.Join(ids(m), ",") != c.want {
			t.Errorf("GET %s = %d %v, want %q", c.path, st, ids(m), c.want)
		}
		if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Content-Type") != addressbook.MediaType {
			t.Errorf("headers %v", h)
		}
	}
	// Paging links and totals.
	_, m, _ := do(t, ts, "GET", "/addressbook/api/organizations?"+q("page[size]=1"), "", false)
	links := m["links"].(map[string]any)
	if m["meta"].(map[string]any)["total"].(float64) != 4 || links["next"] == nil || links["prev"] != nil || !strings.Contains(links["last"].(string), "page%5Bnumber%5D=4") {
		t.Errorf("paging: %v", m)
	}
	// One resource, with its parent relationship.
	st, m, _ := do(t, ts, "GET", "/addressbook/api/organizations/gbg-social", "", false)
	if st != 200 || m["data"].(map[string]any)["relationships"].(map[string]any)["parent"].(map[string]any)["data"].(map[string]any)["id"] != "gbg" {
		t.Errorf("single: %d %v", st, m)
	}
	if st, _, _ := do(t, ts, "GET", "/addressbook/api/addresses/nope", "", false); st != 404 {
		t.Errorf("unknown id = %d", st)
	}
	// Errors: JSON:API error objects.
	for _, c := range []struct{ path, code string }{
		{"/addressbook/api/organizations?" + q("filter[color]=red"), "unknown-filter"},
		{"/addressbook/api/addresses?" + q("filter[organizationNumber]=1"), "unknown-filter"},
		{"/addressbook/api/organizations?sort=name", "unknown-parameter"},
		{"/addressbook/api/organizations?" + q("page[size]=101"), "invalid-page"},
		{"/addressbook/api/organizations?" + q("page[number]=0"), "invalid-page"},
		{"/addressbook/api/organizations?" + q("filter[name]=%3Cscript%3E"), "invalid-value"},
		{"/addressbook/api/organizations?" + q("filter[name]=a&filter[name]=b"), "repeated-parameter"},
	} {
		st, m, _ := do(t, ts, "GET", c.path, "", false)
		errs, _ := m["errors"].([]any)
		if st != 400 || len(errs) != 1 || errs[0].(map[string]any)["code"] != c.code || errs[0].(map[string]any)["status"] != "400" {
			t.Errorf("GET %s = %d %v, want 400 %s", c.path, st, m, c.code)
		}
	}
	// CORS preflight; reads need no credentials, writes do.
	st, _, h := do(t, ts, "OPTIONS", "/addressbook/api/organizations", "", false)
	if st != 204 || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight %d %v", st, h)
	}
	if st, _, _ := do(t, ts, "POST", "/addressbook/api/organizations", "{}", false); st != 405 {
		t.Errorf("POST read API = %d", st)
	}
}

func TestAdminAPI(t *testing.T) {
	ts, book := newAPI(t)
	seed(t, ts)
	good := `{"type":"o","participantIdentifier":"0203:x.se","organizationNumber":"1","name":"X","countryCode":"SE"}`
	if st, _, _ := do(t, ts, "PUT", "/addressbook/admin/organizations/x", `{"data":{"type":"organizations","attributes":`+good+`}}`, false); st != 401 {
		t.Errorf("unauthenticated PUT = %d", st)
	}
	for name, body := range map[string]string{
		"lt":            strings.Replace(good, `"X"`, `"<X>"`, 1),
		"unknown attr":  strings.Replace(good, `"name"`, `"colour":"red","name"`, 1),
		"bad country":   strings.Replace(good, `"SE"`, `"Sweden"`, 1),
		"ou no parent":  strings.Replace(good, `"type":"o"`, `"type":"ou"`, 1),
		"long descript": strings.Replace(good, `"name"`, `"description":"`+strings.Repeat("d", 1025)+`","name"`, 1),
	} {
		if st := putOrg(t, ts, "x", body, ""); st != 400 {
			t.Errorf("%s: PUT = %d", name, st)
		}
	}
	if st := putOrg(t, ts, "x", strings.Replace(good, `"type":"o"`, `"type":"ou"`, 1), "nope"); st != 400 {
		t.Errorf("ou with unknown parent = %d", st)
	}
	// An address needs an existing parent; an organisation with addresses or units cannot go.
	if st, _, _ := do(t, ts, "PUT", "/addressbook/admin/addresses/z", `{"data":{"type":"addresses","attributes":{"identifier":"i","name":"n"},"relationships":{"parent":{"data":{"type":"organizations","id":"nope"}}}}}`, true); st != 400 {
		t.Errorf("orphan address = %d", st)
	}
	if st, _, _ := do(t, ts, "DELETE", "/addressbook/admin/organizations/gbg", "", true); st != 409 {
		t.Errorf("delete org with units = %d", st)
	}
	if st, _, _ := do(t, ts, "DELETE", "/addressbook/admin/addresses/a3", "", true); st != 204 {
		t.Errorf("delete address = %d", st)
	}
	if st, _, _ := do(t, ts, "DELETE", "/addressbook/admin/organizations/orebro", "", true); st != 204 {
		t.Errorf("delete org = %d", st)
	}
	if _, err := book.Orgs.Organization(context.Background(), "orebro"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Errorf("deleted org still there: %v", err)
	}
}

func TestLessSwedishOrder(t *testing.T) {
	in := []string{"Östersund", "Ängelholm", "Zinkgruvan", "Åre", "arboga", "Öland", "Älmhult"}
	want := "arboga Zinkgruvan Åre Älmhult Ängelholm Öland Östersund"
	sort.Slice(in, func(i, j int) bool { return addressbook.Less(in[i], in[j]) })
	if got := strings.Join(in, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("Göteborgs Stad", "göte")
	f.Add("a\u030Are", "ÅRE")
	f.Fuzz(func(t *testing.T, text, q string) {
		if addressbook.Match(text, q) != addressbook.Match(text, addressbook.Fold(q)) {
			t.Fatalf("Match not stable under Fold of the query: %q %q", text, q)
		}
		if utf8.ValidString(text) && !addressbook.Match(text, text) && addressbook.Fold(text) != "" {
			t.Fatalf("text does not match itself: %q", text)
		}
	})
}

func FuzzListQuery(f *testing.F) {
	f.Add("filter%5Bname%5D=g%C3%B6&page%5Bsize%5D=2")
	f.Add("filter%5Bx%5D=1")
	m := addressbooktest.NewMemory()
	h, _ := addressbook.NewHandler(addressbook.HandlerOptions{Book: m.Book(), AdminToken: token})
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest("GET", "/addressbook/api/organizations", nil)
		req.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("status %d for %q", w.Code, rawQuery)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON for %q", rawQuery)
		}
	})
}
