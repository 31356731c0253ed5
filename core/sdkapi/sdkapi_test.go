package sdkapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/core/sdkmsg"
)

var t0 = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

// fake is an in-memory Service keyed by tenant.
type fake struct {
	mu           sync.Mutex
	participants map[string]string
	sent         map[string]map[string]Sent
	mail         map[string]map[string]map[string]Mail // tenant → address → id
	submissions  []Submission
	lastFilter   Filter
}

func newFake() *fake {
	f := &fake{participants: map[string]string{"a": "0203:kommun-a.se", "b": "0203:kommun-b.se"},
		sent: map[string]map[string]Sent{"a": {}, "b": {}}, mail: map[string]map[string]map[string]Mail{"a": {}, "b": {}}}
	f.sent["b"]["b-1"] = Sent{MessageID: "b-1", Sender: "0203:kommun-b.se", Recipient: "0203:kommun-a.se", Status: "ACCEPTED", CreatedAt: t0}
	f.mail["b"]["registrator"] = map[string]Mail{"m-1": {MessageID: "m-1", FunctionAddress: "registrator", Sender: "0203:kommun-a.se",
		Recipient: "0203:kommun-b.se", Label: "secret", DeliveredAt: t0, Body: []byte("<x/>"), ContentType: "text/xml"}}
	return f
}

func (f *fake) Participant(_ context.Context, tenant string) (string, error) {
	p, ok := f.participants[tenant]
	if !ok {
		return "", ErrNotFound
	}
	return p, nil
}

func (f *fake) Send(_ context.Context, tenant string, s Submission) (Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submissions = append(f.submissions, s)
	out := Sent{Sender: f.participants[tenant], Status: "SCHEDULED", CreatedAt: t0, MessageID: "sealed-1", Events: []SentEvent{{Status: "SCHEDULED", At: t0}}}
	if s.Message != nil {
		m, err := sdkmsg.Parse(s.Message)
		if err != nil {
			return Sent{}, fmt.Errorf("fake: %w: %w", ErrInvalid, err)
		}
		switch m.Recipient.ID {
		case "0203:untrusted.se":
			return Sent{}, fmt.Errorf("fake: %w", ErrRecipientUntrusted)
		case "0203:missing.se":
			return Sent{}, fmt.Errorf("fake: %w", ErrRecipientNotFound)
		}
		out.MessageID, out.ConversationID, out.Recipient, out.Label = m.MessageID, m.ConversationID, m.Recipient.ID, m.Label
		out.FunctionAddress = m.Recipient.Attention.FunctionAddress
	}
	if _, dup := f.sent[tenant][out.MessageID]; dup {
		return Sent{}, ErrDuplicate
	}
	f.sent[tenant][out.MessageID] = out
	return out, nil
}

func (f *fake) Sent(_ context.Context, tenant, id string) (Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sent[tenant][id]
	if !ok {
		return Sent{}, fmt.Errorf("fake: %s: %w", id, ErrNotFound)
	}
	return s, nil
}

func (f *fake) ListSent(_ context.Context, tenant string, flt Filter) (SentPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastFilter = flt
	var p SentPage
	for _, s := range f.sent[tenant] {
		if flt.Status == "" || s.Status == flt.Status {
			p.Items = append(p.Items, s)
		}
	}
	if flt.Limit == 1 {
		p.Next = "c2"
	}
	return p, nil
}

func (f *fake) DeleteSent(_ context.Context, tenant, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sent[tenant][id]
	if !ok {
		return ErrNotFound
	}
	if s.Status != "ACCEPTED" {
		return ErrNotDeletable
	}
	delete(f.sent[tenant], id)
	return nil
}

func (f *fake) ListMail(_ context.Context, tenant, address, cursor string, limit int) (MailPage, error) {
	var p MailPage
	for _, m := range f.mail[tenant][address] {
		m.Body = nil
		p.Items = append(p.Items, m)
	}
	return p, nil
}

func (f *fake) GetMail(_ context.Context, tenant, address, id string) (Mail, error) {
	m, ok := f.mail[tenant][address][id]
	if !ok {
		return Mail{}, ErrNotFound
	}
	return m, nil
}

func (f *fake) MarkRead(_ context.Context, tenant, address, id string) (Mail, error) {
	m, ok := f.mail[tenant][address][id]
	if !ok {
		return Mail{}, ErrNotFound
	}
	m.ReadAt = t0.Add(time.Minute)
	f.mail[tenant][address][id] = m
	m.Body = nil
	return m, nil
}

type fakeAuth map[string]oauth.Principal

func (a fakeAuth) Authenticate(r *http.Request) (oauth.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return oauth.Principal{}, oauth.ErrNoToken
	}
	p, ok := a[strings.TrimPrefix(h, "Bearer ")]
	if !ok {
		return oauth.Principal{}, oauth.ErrInvalidToken
	}
	return p, nil
}

var auth = fakeAuth{
	"A":      {ClientID: "ca", Tenant: "a", Scopes: oauth.AllScopes},
	"A-send": {ClientID: "ca2", Tenant: "a", Scopes: []string{oauth.ScopeSendMessages}},
	"A-none": {ClientID: "ca3", Tenant: "a", Scopes: []string{"urn:other"}},
	"B":      {ClientID: "cb", Tenant: "b", Scopes: oauth.AllScopes},
}

func newAPI(t *testing.T) (*fake, http.Handler) {
	t.Helper()
	f := newFake()
	n := 0
	h, err := NewHandler(Options{Service: f, Auth: auth, BasePath: "/sdk-api/v1", Now: func() time.Time { return t0 },
		NewID: func() string { n++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }})
	if err != nil {
		t.Fatal(err)
	}
	return f, h
}

func do(t *testing.T, h http.Handler, method, path, token string, body any) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if b, ok := body.(string); ok {
		rd = bytes.NewReader([]byte(b))
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	r := httptest.NewRequest(method, "/sdk-api/v1"+path, rd)
	if body != nil {
		r.Header.Set("Content-Type", MediaType)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w, m
}

var pdf = append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 0xff, 'x'}, 100)...)

func createBody(sender string) map[string]any {
	return map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Ansökan om bygglov", "sender": sender, "recipient": "0203:kommun-b.se",
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"root": sdkmsg.FunctionalAddressRoot, "extension": "registrator"}},
		"digitalDocument": []any{map[string]any{"documentId": "d1", "documentName": "Ansökan", "index": 1,
			"contentTextBody": []string{"Hej!"},
			"contentFiles":    []any{map[string]any{"fileName": "ansokan.pdf", "contentType": "application/pdf", "content": pdf}}}},
	}}}
}

func TestSendMessage(t *testing.T) {
	f, h := newAPI(t)
	w, m := do(t, h, "POST", "/sdk/messages", "A", createBody("0203:kommun-a.se"))
	if w.Code != http.StatusCreated {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if m["meta"].(map[string]any)["version"] != "sdk api 1.0.0" || w.Header().Get("Content-Type") != MediaType {
		t.Fatalf("envelope: %v", m)
	}
	data := m["data"].(map[string]any)
	attrs := data["attributes"].(map[string]any)
	id := "00000000-0000-4000-8000-000000000001"
	if data["id"] != id || attrs["messageStatus"] != "SCHEDULED" || attrs["conversationId"] != id || w.Header().Get("Location") != "/sdk-api/v1/sdk/messages/"+id {
		t.Fatalf("data: %v, location %q", data, w.Header().Get("Location"))
	}
	msg, err := sdkmsg.Parse(f.submissions[0].Message)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Documents[0].Files[0].Content; !bytes.Equal(got, pdf) || msg.Sender.ID != "0203:kommun-a.se" ||
		msg.CreationDateTime != "2026-11-27T09:30:00.000Z" || msg.Documents[0].Index != "1" {
		t.Fatalf("sealed message: %+v", msg)
	}
	// The other spelling of DIGG's send scope works too.
	if w, _ := do(t, h, "POST", "/sdk/messages", "A-send", createBody("0203:kommun-a.se")); w.Code != http.StatusCreated {
		t.Fatalf("sendMessages scope: %d %s", w.Code, w.Body)
	}
	// GET by id.
	w, m = do(t, h, "GET", "/sdk/messages/"+id, "A", nil)
	if w.Code != 200 || m["data"].(map[string]any)["attributes"].(map[string]any)["recipientAttention"] == nil {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
}

func TestSendProblems(t *testing.T) {
	_, h := newAPI(t)
	w, m := do(t, h, "POST", "/sdk/messages", "A", map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{}}})
	if w.Code != 400 || w.Header().Get("Content-Type") != ProblemMediaType || m["type"] != ProblemBadRequest || m["title"] != "Bad Request" ||
		m["status"] != float64(400) || m["instance"] != "/sdk-api/v1/sdk/messages" {
		t.Fatalf("%d %v", w.Code, m)
	}
	var ins []string
	for _, is := range m["eventIssues"].([]any) {
		ins = append(ins, is.(map[string]any)["in"].(string))
	}
	if strings.Join(ins, ",") != "data.attributes.confidentiality,data.attributes.label,data.attributes.sender,data.attributes.recipient" {
		t.Fatalf("issues: %v", ins)
	}
	// The SDK message's own rules: a recipient that is not 0203:….
	b := createBody("0203:kommun-a.se")
	b["data"].(map[string]any)["attributes"].(map[string]any)["recipient"] = "9999:x"
	if w, m := do(t, h, "POST", "/sdk/messages", "A", b); w.Code != 400 || len(m["eventIssues"].([]any)) == 0 {
		t.Fatalf("invalid recipient: %d %s", w.Code, w.Body)
	}
	if w, _ := do(t, h, "POST", "/sdk/messages", "A", "{not json"); w.Code != 400 {
		t.Fatalf("bad json: %d", w.Code)
	}
	if w, _ := do(t, h, "POST", "/sdk/messages", "A", `{"data":{"type":"other","attributes":{}}}`); w.Code != 400 {
		t.Fatalf("wrong type: %d", w.Code)
	}
	r := httptest.NewRequest("POST", "/sdk-api/v1/sdk/messages", strings.NewReader("x"))
	r.Header.Set("Authorization", "Bearer A")
	r.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 415 {
		t.Fatalf("content type: %d", rec.Code)
	}
	if w, _ := do(t, h, "PUT", "/sdk/messages/x", "A", nil); w.Code != 405 || w.Header().Get("Allow") != "GET, DELETE" {
		t.Fatalf("PUT: %d", w.Code)
	}
	if w, m := do(t, h, "GET", "/nothing", "A", nil); w.Code != 404 || m["type"] != ProblemNotFound {
		t.Fatalf("unknown path: %d", w.Code)
	}
	// Discovery outcomes → 422 with the recipient named.
	for _, rcpt := range []string{"0203:untrusted.se", "0203:missing.se"} {
		b := createBody("0203:kommun-a.se")
		b["data"].(map[string]any)["attributes"].(map[string]any)["recipient"] = rcpt
		if w, m := do(t, h, "POST", "/sdk/messages", "A", b); w.Code != 422 || m["eventIssues"].([]any)[0].(map[string]any)["in"] != "data.attributes.recipient" {
			t.Errorf("%s: %d %s", rcpt, w.Code, w.Body)
		}
	}
	// Duplicate messageId → 409.
	b = createBody("0203:kommun-a.se")
	b["data"].(map[string]any)["attributes"].(map[string]any)["messageId"] = "6f2b9a70-0000-4000-8000-000000000001"
	do(t, h, "POST", "/sdk/messages", "A", b)
	if w, _ := do(t, h, "POST", "/sdk/messages", "A", b); w.Code != 409 {
		t.Fatalf("duplicate: %d", w.Code)
	}
}

func TestSizeCap(t *testing.T) {
	h, err := NewHandler(Options{Service: newFake(), Auth: auth, Now: func() time.Time { return t0 }, MaxBody: 1024})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/sdk/messages", strings.NewReader(`{"data":{"type":"messages","attributes":{"label":"`+strings.Repeat("x", 2000)+`"}}}`))
	r.Header.Set("Authorization", "Bearer A")
	r.Header.Set("Content-Type", MediaType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestSealedXHE(t *testing.T) {
	f, h := newAPI(t)
	xhe := []byte("<XHE>sealed</XHE>")
	body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{"sealedXhe": xhe}}}
	if w, _ := do(t, h, "POST", "/sdk/messages", "A", body); w.Code != 201 || !bytes.Equal(f.submissions[0].XHE, xhe) || f.submissions[0].Message != nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	body["data"].(map[string]any)["attributes"].(map[string]any)["label"] = "x"
	if w, _ := do(t, h, "POST", "/sdk/messages", "A", body); w.Code != 400 {
		t.Fatalf("sealed with content: %d", w.Code)
	}
}

func TestScopes(t *testing.T) {
	_, h := newAPI(t)
	for _, c := range []struct{ method, path string }{
		{"POST", "/sdk/messages"}, {"GET", "/sdk/messages"}, {"GET", "/sdk/messages/b-1"}, {"DELETE", "/sdk/messages/b-1"},
		{"GET", "/sdk/mailboxes/registrator/messages"}, {"GET", "/sdk/mailboxes/registrator/messages/m-1"},
		{"POST", "/sdk/mailboxes/registrator/messages/m-1/read"},
	} {
		var body any
		if c.method == "POST" {
			body = createBody("0203:kommun-a.se")
		}
		if w, _ := do(t, h, c.method, c.path, "", body); w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s %s without token: %d", c.method, c.path, w.Code)
		}
		if w, _ := do(t, h, c.method, c.path, "forged", body); w.Code != 401 || !strings.Contains(w.Header().Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("%s %s bad token: %d", c.method, c.path, w.Code)
		}
		if w, m := do(t, h, c.method, c.path, "A-none", body); w.Code != 403 || m["type"] != ProblemForbidden {
			t.Errorf("%s %s without scope: %d", c.method, c.path, w.Code)
		}
	}
	// A send-only token cannot read.
	if w, _ := do(t, h, "GET", "/sdk/messages", "A-send", nil); w.Code != 403 {
		t.Errorf("send-only token listed: %d", w.Code)
	}
}

// TestTenantIsolation: tenant A's client cannot read, list, send as or delete for
// tenant B, nor touch B's inbox, through any endpoint.
func TestTenantIsolation(t *testing.T) {
	f, h := newAPI(t)
	if w, _ := do(t, h, "GET", "/sdk/messages/b-1", "A", nil); w.Code != 404 {
		t.Errorf("A read B's message: %d", w.Code)
	}
	if w, _ := do(t, h, "GET", "/sdk/messages/b-1", "B", nil); w.Code != 200 {
		t.Errorf("B cannot read its own message: %d", w.Code)
	}
	if w, m := do(t, h, "GET", "/sdk/messages", "A", nil); w.Code != 200 || len(m["data"].([]any)) != 0 {
		t.Errorf("A's list shows B's messages: %d %s", w.Code, w.Body)
	}
	if w, m := do(t, h, "POST", "/sdk/messages", "A", createBody("0203:kommun-b.se")); w.Code != 403 || m["eventIssues"].([]any)[0].(map[string]any)["in"] != "data.attributes.sender" {
		t.Errorf("A sent as B: %d %s", w.Code, w.Body)
	}
	sealedAsB := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{"sealedXhe": []byte("<x/>"), "sender": "0203:KOMMUN-B.se"}}}
	if w, _ := do(t, h, "POST", "/sdk/messages", "A", sealedAsB); w.Code != 403 {
		t.Errorf("A sent a sealed XHE as B: %d", w.Code)
	}
	if len(f.submissions) != 0 {
		t.Errorf("submissions reached the service: %d", len(f.submissions))
	}
	if w, _ := do(t, h, "DELETE", "/sdk/messages/b-1", "A", nil); w.Code != 404 {
		t.Errorf("A deleted B's message: %d", w.Code)
	}
	if _, ok := f.sent["b"]["b-1"]; !ok {
		t.Error("B's message is gone")
	}
	if w, m := do(t, h, "GET", "/sdk/mailboxes/registrator/messages", "A", nil); w.Code != 200 || len(m["data"].([]any)) != 0 {
		t.Errorf("A listed B's inbox: %d %s", w.Code, w.Body)
	}
	if w, _ := do(t, h, "GET", "/sdk/mailboxes/registrator/messages/m-1", "A", nil); w.Code != 404 {
		t.Errorf("A read B's mail: %d", w.Code)
	}
	if w, _ := do(t, h, "POST", "/sdk/mailboxes/registrator/messages/m-1/read", "A", nil); w.Code != 404 || !f.mail["b"]["registrator"]["m-1"].ReadAt.IsZero() {
		t.Errorf("A marked B's mail read: %d", w.Code)
	}
	// B deletes its finished message: 202.
	if w, _ := do(t, h, "DELETE", "/sdk/messages/b-1", "B", nil); w.Code != 202 {
		t.Errorf("B delete: %d %s", w.Code, w.Body)
	}
}

func TestFilterAndPaging(t *testing.T) {
	f, h := newAPI(t)
	q := url.Values{"filter[messageStatus]": {"ACCEPTED"}, "filter[recipientAttention.subOrganization.extension]": {"registrator"}, "page[size]": {"1"}}
	w, m := do(t, h, "GET", "/sdk/messages?"+q.Encode(), "B", nil)
	if w.Code != 200 || f.lastFilter != (Filter{Status: "ACCEPTED", RecipientFunction: "registrator", Limit: 1}) {
		t.Fatalf("%d %+v", w.Code, f.lastFilter)
	}
	next, _ := url.Parse(m["links"].(map[string]any)["next"].(string))
	if next.Query().Get("page[cursor]") != "c2" || next.Path != "/sdk-api/v1/sdk/messages" {
		t.Fatalf("next: %v", next)
	}
	for _, bad := range []string{"filter[messageStatus]=DONE", "filter[body]=x", "page[size]=0", "page[size]=101"} {
		if w, _ := do(t, h, "GET", "/sdk/messages?"+bad, "B", nil); w.Code != 400 {
			t.Errorf("%s: %d", bad, w.Code)
		}
	}
}

func TestMailbox(t *testing.T) {
	f, h := newAPI(t)
	// Deliver a real SDK message into B's inbox.
	b := createBody("0203:kommun-a.se")
	_, _ = do(t, h, "POST", "/sdk/messages", "A", b)
	body := f.submissions[0].Message
	f.mail["b"]["registrator"]["m-2"] = Mail{MessageID: "m-2", FunctionAddress: "registrator", DeliveredAt: t0, Body: body, ContentType: "text/xml"}
	w, m := do(t, h, "GET", "/sdk/mailboxes/registrator/messages/m-2", "B", nil)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var doc Document[Resource]
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Data.Attributes.DigitalDocument[0].ContentFiles[0].Content; !bytes.Equal(got, pdf) || doc.Data.Attributes.Mailbox.FunctionAddress != "registrator" {
		t.Fatalf("mail: %v", m)
	}
	r := httptest.NewRequest("GET", "/sdk-api/v1/sdk/mailboxes/registrator/messages/m-2", nil)
	r.Header.Set("Authorization", "Bearer B")
	r.Header.Set("Accept", "text/xml")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if !bytes.Equal(rec.Body.Bytes(), body) || rec.Header().Get("Content-Type") != "text/xml" {
		t.Fatal("raw body differs")
	}
	if w, m := do(t, h, "POST", "/sdk/mailboxes/registrator/messages/m-2/read", "B", nil); w.Code != 200 ||
		m["data"].(map[string]any)["attributes"].(map[string]any)["mailbox"].(map[string]any)["readDateTime"] != "2026-11-27T09:31:00.000Z" {
		t.Fatalf("read: %d %s", w.Code, w.Body)
	}
	if w, m := do(t, h, "GET", "/sdk/mailboxes/registrator/messages", "B", nil); w.Code != 200 || len(m["data"].([]any)) != 2 {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
}

func TestIndexJSON(t *testing.T) {
	var d Document1
	for _, in := range []string{`{"documentId":"x","index":3}`, `{"documentId":"x","index":"3"}`} {
		if err := json.Unmarshal([]byte(in), &d); err != nil || d.Index != "3" {
			t.Fatalf("%s: %v %q", in, err, d.Index)
		}
	}
	b, _ := json.Marshal(Document1{DocumentID: "x", Index: "3"})
	if !strings.Contains(string(b), `"index":3`) {
		t.Fatal(string(b))
	}
}

// FuzzSend: any body gets a JSON answer below 500, and only a valid message reaches
// the service.
func FuzzSend(f *testing.F) {
	good, _ := json.Marshal(createBody("0203:kommun-a.se"))
	f.Add(good)
	f.Add([]byte(`{"data":{"type":"messages","attributes":{"sealedXhe":"PHgvPg=="}}}`))
	f.Add([]byte(`{"data":{"type":"messages","attributes":{"digitalDocument":[{"index":1e999}]}}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fk := newFake()
		h, _ := NewHandler(Options{Service: fk, Auth: auth, Now: func() time.Time { return t0 }, MaxBody: 1 << 16})
		r := httptest.NewRequest("POST", "/sdk/messages", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer A")
		r.Header.Set("Content-Type", MediaType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("not JSON: %s", w.Body)
		}
		for _, s := range fk.submissions {
			if s.Message != nil {
				if _, err := sdkmsg.Parse(s.Message); err != nil {
					t.Fatalf("invalid message reached the service: %v", err)
				}
			}
		}
	})
}
