package localsys

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/sdkapi"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/internal/demopki"
)

// TestAccessControl drives the running system over HTTP with tokens from its token
// endpoint (docs/conformance.md, "Access control"): after A sent a message to B, B's
// token cannot read, delete or list A's sent message and A's token cannot read, mark read
// or list B's mail; a missing resource and another tenant's answer the same; A cannot
// send as B nor from B's function address; the remote signer signs with the token
// tenant's key only. The owners' own requests succeed (control).
func TestAccessControl(t *testing.T) {
	dir := demoCopy(t)
	s := start(t, dir)
	d := s.Description()
	tokA, tokB := token(t, d, 0), token(t, d, 1)
	api := d.SDKAPIBaseURL
	id := sendAccepted(t, d, tokA)
	ghost := "00000000-0000-4000-8000-00000000dead"
	mail := "/sdk/mailboxes/registrator/messages/"

	for _, c := range []struct {
		name, method, path, ghost, tok string
	}{
		{"B reads A's sent message", "GET", "/sdk/messages/" + id, "/sdk/messages/" + ghost, tokB},
		{"B deletes A's sent message", "DELETE", "/sdk/messages/" + id, "/sdk/messages/" + ghost, tokB},
		{"A reads B's mail", "GET", mail + id, mail + ghost, tokA},
		{"A marks B's mail read", "POST", mail + id + "/read", mail + ghost + "/read", tokA},
		{"A lists B's own mailbox", "GET", "/sdk/mailboxes/byggnadsnamnden/messages", "/sdk/mailboxes/nosuch/messages", tokA},
	} {
		code, b := call(t, c.method, api+c.path, c.tok, "", nil)
		gcode, gb := call(t, c.method, api+c.ghost, c.tok, "", nil)
		same := strings.ReplaceAll(string(gb), c.ghost, c.path)
		if code != http.StatusNotFound || gcode != code || same != string(b) {
			t.Errorf("%s: %d %s; missing resource: %d %s", c.name, code, b, gcode, gb)
		}
	}
	for _, c := range []struct{ name, path, tok string }{
		{"B lists sent messages", "/sdk/messages", tokB},
		{"A lists its registrator", "/sdk/mailboxes/registrator/messages", tokA},
	} {
		if code, b := call(t, "GET", api+c.path, c.tok, "", nil); code != 200 || bytes.Contains(b, []byte(id)) {
			t.Errorf("%s: %d %s", c.name, code, b)
		}
	}
	sendAs := func(sender, senderFA string) map[string]any {
		a := map[string]any{"confidentiality": false, "label": "Försök", "sender": sender, "recipient": DemoParticipantB,
			"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
			"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"x"}}}}
		if senderFA != "" {
			a["senderAttention"] = map[string]any{"subOrganization": map[string]any{"extension": senderFA}}
		}
		return map[string]any{"data": map[string]any{"type": "messages", "attributes": a}}
	}
	if code, b := call(t, "POST", api+"/sdk/messages", tokA, "", sendAs(DemoParticipantB, "")); code != http.StatusForbidden {
		t.Errorf("A sent as B: %d %s", code, b)
	}
	if code, b := call(t, "POST", api+"/sdk/messages", tokA, "", sendAs(DemoParticipantA, "byggnadsnamnden")); code != http.StatusBadRequest {
		t.Errorf("A sent from B's function address: %d %s", code, b)
	}
	sealed := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{"sealedXhe": sealedAsB(t, dir)}}}
	if code, b := call(t, "POST", api+"/sdk/messages", tokA, "", sealed); code != http.StatusBadRequest {
		t.Errorf("A sent a sealed XHE from B: %d %s", code, b)
	}
	if code, b := call(t, "GET", api+"/sdk/messages", tokA, "", nil); code != 200 || bytes.Count(b, []byte(`"type":"messages"`)) != 1 {
		t.Errorf("A's outbox after the refused sends: %d %s", code, b)
	}
	checkSignerTenant(t, d, dir, tokB)

	// The owners still see their resources, untouched.
	if code, b := call(t, "GET", api+"/sdk/messages/"+id, tokA, "", nil); code != 200 {
		t.Errorf("A's own message: %d %s", code, b)
	}
	code, b := call(t, "GET", api+mail+id, tokB, "", nil)
	var m sdkapi.Document[sdkapi.Resource]
	if code != 200 || json.Unmarshal(b, &m) != nil || m.Data.Attributes.Mailbox == nil || m.Data.Attributes.Mailbox.ReadAt != "" {
		t.Errorf("B's own mail (must be unread): %d %s", code, b)
	}
}

// sendAccepted sends a message from A to B's registrator and waits for ACCEPTED.
func sendAccepted(t *testing.T, d Description, tokA string) string {
	t.Helper()
	body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Åtkomst", "sender": DemoParticipantA, "recipient": DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"åtkomst"}}}}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokA, "", body)
	var doc sdkapi.Document[sdkapi.Resource]
	if code != http.StatusCreated || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("send: %d %s", code, b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, b = call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+url.PathEscape(doc.Data.ID), tokA, "", nil)
		if bytes.Contains(b, []byte(`"messageStatus":"ACCEPTED"`)) {
			return doc.Data.ID
		}
		if time.Now().After(deadline) {
			t.Fatalf("not accepted: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sealedAsB is an XHE that A's organisation key signs (so the signature check passes)
// but whose FromParty is B: only the engine's sender check can refuse it.
func sealedAsB(t *testing.T, dir string) []byte {
	t.Helper()
	pki := filepath.Join(dir, demoPKIDir)
	key, err := demopki.LoadKey(filepath.Join(pki, "org-a.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certA, err := demopki.LoadCerts(filepath.Join(pki, "org-a.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certB, err := demopki.LoadCerts(filepath.Join(pki, "org-b.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	id := "00000000-0000-4000-8000-0000000000b0"
	m := &sdkmsg.Message{CreationDateTime: sdkmsg.FormatTime(time.Now()), MessageID: id, ConversationID: id, Label: "Förfalskad",
		Sender:    sdkmsg.Party{ID: DemoParticipantB},
		Recipient: sdkmsg.Party{ID: DemoParticipantB, Attention: &sdkmsg.Attention{FunctionAddress: "registrator"}},
		Documents: []sdkmsg.Document{{DocumentID: "d1", Index: "1", Texts: []string{"x"}}}}
	plain, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	x, err := (&o2o.Sealer{Key: key, Cert: certA[0], Profile: o2o.DIGGProfile(), Now: time.Now}).Seal(plain, certB[0], "registrator")
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// checkSignerTenant: B's token on the remote signer never gets a signature with A's key:
// the chain it answers is B's organisation certificate.
func checkSignerTenant(t *testing.T, d Description, dir, tokB string) {
	t.Helper()
	body := map[string]any{"data": map[string]any{"type": sdkapi.TypeSignatures, "attributes": map[string]any{
		"messageId": "x", "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256", "digestValue": make([]byte, 32)}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/signatures", tokB, "", body)
	var doc struct {
		Data sdkapi.SignResource `json:"data"`
	}
	if code != 200 || json.Unmarshal(b, &doc) != nil || len(doc.Data.Attributes.Certificates) == 0 {
		t.Fatalf("B's signature: %d %s", code, b)
	}
	for name, want := range map[string]bool{"org-a": false, "org-b": true} {
		cs, err := demopki.LoadCerts(filepath.Join(dir, demoPKIDir, name+".cert.pem"))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Equal(doc.Data.Attributes.Certificates[0], cs[0].Raw); got != want {
			t.Errorf("B's signature chain starts with %s: %v, want %v", name, got, want)
		}
	}
}

// TestAdminCredentials: the SMP and address book admin APIs take only their own bearer
// tokens (demo.json "admin"): no credentials, an SDK API token with every scope, an OAuth
// client's id and secret, or the other admin API's token → 401 with a WWW-Authenticate
// challenge; an admin token is no SDK API token and no OAuth client secret. The right
// token works (control).
func TestAdminCredentials(t *testing.T) {
	dir := demoCopy(t)
	s := start(t, dir)
	d := s.Description()
	if d.Admin == nil || d.Admin.SMPToken == "" || d.Admin.AddressBookToken == "" || d.Admin.SMPToken == d.Admin.AddressBookToken {
		t.Fatalf("admin credentials in the description: %+v", d.Admin)
	}
	tokA := token(t, d, 0)
	smpURL := d.Admin.SMPAdminURL + smp.EscapeSegment(DemoParticipantA)
	abURL := d.Admin.AddressBookAdminURL + "organizations/kommun-a"
	ti := d.Tenants[0]
	for _, c := range []struct {
		name, url string
		auth      func(*http.Request)
	}{
		{"smp: none", smpURL, func(*http.Request) {}},
		{"smp: SDK API token", smpURL, bearer(tokA)},
		{"smp: OAuth client", smpURL, func(r *http.Request) { r.SetBasicAuth(ti.ClientID, ti.ClientSecret) }},
		{"smp: address book token", smpURL, bearer(d.Admin.AddressBookToken)},
		{"smp: token with a prefix", smpURL, bearer(d.Admin.SMPToken[:len(d.Admin.SMPToken)-1])},
		{"address book: none", abURL, func(*http.Request) {}},
		{"address book: SDK API token", abURL, bearer(tokA)},
		{"address book: OAuth client", abURL, func(r *http.Request) { r.SetBasicAuth(ti.ClientID, ti.ClientSecret) }},
		{"address book: SMP token", abURL, bearer(d.Admin.SMPToken)},
	} {
		method := "GET"
		if strings.HasPrefix(c.name, "address book") {
			method = "DELETE" // the address book admin API only writes
		}
		code, h := adminCall(t, method, c.url, c.auth)
		if code != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), "realm=") {
			t.Errorf("%s: %d %q", c.name, code, h.Get("WWW-Authenticate"))
		}
	}
	if code, _ := adminCall(t, "GET", smpURL, bearer(d.Admin.SMPToken)); code != 200 {
		t.Errorf("smp admin token: %d", code)
	}
	if code, _ := adminCall(t, "DELETE", d.Admin.AddressBookAdminURL+"organizations/no-such-org", bearer(d.Admin.AddressBookToken)); code == http.StatusUnauthorized {
		t.Errorf("address book admin token refused")
	}
	for name, tok := range map[string]string{"smp": d.Admin.SMPToken, "address book": d.Admin.AddressBookToken} {
		if code, _ := call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages", tok, "", nil); code != http.StatusUnauthorized {
			t.Errorf("%s admin token on the SDK API: %d", name, code)
		}
		req, _ := http.NewRequest("POST", ti.TokenURL, strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(ti.ClientID, tok)
		if code, _ := send(t, req); code != http.StatusUnauthorized {
			t.Errorf("%s admin token as client secret: %d", name, code)
		}
	}
	// The public description at "/" never shows them; config.json (0600) holds them.
	if code, b := call(t, "GET", d.WebURL, "", "application/json", nil); code != 200 ||
		bytes.Contains(b, []byte(d.Admin.SMPToken)) || bytes.Contains(b, []byte(d.Admin.AddressBookToken)) {
		t.Errorf("/: %d %s", code, b)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, DemoConfigFile)); err != nil || !bytes.Contains(raw, []byte(d.Admin.SMPToken)) {
		t.Errorf("config.json does not hold the admin token: %v", err)
	}
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// adminCall makes one request with the credentials auth sets.
func adminCall(t *testing.T, method, u string, auth func(*http.Request)) (int, http.Header) {
	t.Helper()
	r, _ := http.NewRequest(method, u, nil)
	auth(r)
	return send(t, r)
}

func send(t *testing.T, r *http.Request) (int, http.Header) {
	t.Helper()
	resp, err := apiClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestConstantTimeCredentials reads the credential checks of the admin APIs and the
// token endpoint and fails if one compares a credential other than with
// crypto/subtle.ConstantTimeCompare: every == or != in them must test against "" (is a
// credential configured) or 1 (ConstantTimeCompare's result), and no other comparing
// call (strings.EqualFold, bytes.Equal, …) may appear.
func TestConstantTimeCredentials(t *testing.T) {
	for file, fn := range map[string]string{
		"../../core/smp/server.go":      "authorized",
		"../../core/addressbook/api.go": "authorized",
		"../../core/oauth/server.go":    "authenticate",
	} {
		f, err := parser.ParseFile(gotoken.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var body *ast.BlockStmt
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == fn {
				body = fd.Body
			}
		}
		if body == nil {
			t.Fatalf("%s: no function %s", file, fn)
		}
		constantTime := 0
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if (n.Op == gotoken.EQL || n.Op == gotoken.NEQ) && !isLiteral(n.X) && !isLiteral(n.Y) {
					t.Errorf("%s %s: compares with %s", file, fn, n.Op)
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok {
					switch x.Name + "." + n.Sel.Name {
					case "subtle.ConstantTimeCompare":
						constantTime++
					case "strings.EqualFold", "strings.Compare", "bytes.Equal", "bytes.Compare", "slices.Equal", "reflect.DeepEqual", "hmac.Equal":
						t.Errorf("%s %s: compares with %s.%s", file, fn, x.Name, n.Sel.Name)
					}
				}
			}
			return true
		})
		if constantTime == 0 {
			t.Errorf("%s %s: no subtle.ConstantTimeCompare", file, fn)
		}
	}
}

// isLiteral reports whether e is "" or 1: a configured-or-not test, or
// ConstantTimeCompare's result.
func isLiteral(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && (l.Value == `""` || l.Value == "1")
}
