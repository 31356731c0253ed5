package sdkapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
)

// SubmitKvittens makes the fake a KvittensService: a kvittens for a delivered mail item
// is queued ("<other/>" plays another kvittens for the same message, "<bad/>" one the
// engine refuses).
func (f *fake) SubmitKvittens(_ context.Context, tenant, address, id string, xhe []byte) (Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.mail[tenant][address][id]
	if !ok {
		return Sent{}, fmt.Errorf("fake: %s: %w", id, ErrNotFound)
	}
	switch {
	case bytes.Equal(xhe, []byte("<other/>")):
		return Sent{}, fmt.Errorf("fake: %w", ErrDuplicate)
	case bytes.Equal(xhe, []byte("<bad/>")):
		return Sent{}, fmt.Errorf("fake: %w", ErrInvalid)
	}
	return Sent{MessageID: "kvittens-" + id, Sender: m.Recipient, Recipient: m.Sender, RefToMessageID: id, Status: "SCHEDULED", CreatedAt: t0}, nil
}

func kvittensBody(xhe []byte) any {
	return map[string]any{"data": map[string]any{"type": TypeMessages, "attributes": map[string]any{"sealedXhe": xhe}}}
}

func TestKvittensEndpoint(t *testing.T) {
	_, h := newAPI(t)
	const path = "/sdk/mailboxes/registrator/messages/m-1/kvittens"
	w, m := do(t, h, "POST", path, "B", kvittensBody([]byte("<XHE/>")))
	if w.Code != http.StatusAccepted {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	data := m["data"].(map[string]any)
	attrs := data["attributes"].(map[string]any)
	if data["id"] != "kvittens-m-1" || attrs["refToMessageId"] != "m-1" || attrs["recipient"] != "0203:kommun-a.se" || attrs["messageStatus"] != "SCHEDULED" {
		t.Fatalf("response %s", w.Body)
	}
	for name, c := range map[string]struct {
		path, token string
		body        any
		want        int
	}{
		"another kvittens":        {path, "B", kvittensBody([]byte("<other/>")), http.StatusConflict},
		"refused by the engine":   {path, "B", kvittensBody([]byte("<bad/>")), http.StatusBadRequest},
		"no sealedXhe":            {path, "B", kvittensBody(nil), http.StatusBadRequest},
		"not JSON":                {path, "B", "<XHE/>", http.StatusBadRequest},
		"wrong type":              {path, "B", map[string]any{"data": map[string]any{"type": "x", "attributes": map[string]any{"sealedXhe": []byte("<XHE/>")}}}, http.StatusBadRequest},
		"unknown message":         {"/sdk/mailboxes/registrator/messages/m-9/kvittens", "B", kvittensBody([]byte("<XHE/>")), http.StatusNotFound},
		"scope without mailbox":   {path, "A-send", kvittensBody([]byte("<XHE/>")), http.StatusForbidden},
		"other tenant's mail":     {path, "A", kvittensBody([]byte("<XHE/>")), http.StatusNotFound},
		"GET is not the resource": {path, "B", nil, http.StatusMethodNotAllowed},
	} {
		method := "POST"
		if c.body == nil {
			method = "GET"
		}
		if w, _ := do(t, h, method, c.path, c.token, c.body); w.Code != c.want {
			t.Errorf("%s: %d %s, want %d", name, w.Code, w.Body, c.want)
		}
	}
}

// A token limited to other function addresses cannot answer this mailbox's mail.
func TestKvittensFunctionAddressLimit(t *testing.T) {
	f := newFake()
	limited := fakeAuth{"L": {ClientID: "cl", Tenant: "b", Scopes: []string{oauth.ScopeMailbox}, LimitFunctionAddresses: true, FunctionAddresses: []string{"ekonomi"}}}
	h, err := NewHandler(Options{Service: f, Auth: limited, BasePath: "/sdk-api/v1", Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := do(t, h, "POST", "/sdk/mailboxes/registrator/messages/m-1/kvittens", "L", kvittensBody([]byte("<XHE/>"))); w.Code != http.StatusForbidden {
		t.Fatalf("limited token: %d %s, want 403", w.Code, w.Body)
	}
}

// A service that is not a KvittensService answers 501.
func TestKvittensNotSupported(t *testing.T) {
	h, err := NewHandler(Options{Service: struct{ Service }{newFake()}, Auth: auth, BasePath: "/sdk-api/v1", Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := do(t, h, "POST", "/sdk/mailboxes/registrator/messages/m-1/kvittens", "B", kvittensBody([]byte("<XHE/>"))); w.Code != http.StatusNotImplemented {
		t.Fatalf("%d %s, want 501", w.Code, w.Body)
	}
}
