package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/sdkapi"
	"github.com/brevduva/brevduva/internal/localsys"
)

// auxSystem is a second local system for assertions that need another configuration
// or the system's log: the suite's demo configuration (same PKI, so the driver's keys
// fit), its own data folder and free ports, changed by edit.
type auxSystem struct {
	sys  *localsys.System
	d    localsys.Description
	logs *lockedBuffer
}

func startAux(t *testing.T, edit func(*localsys.Config), o localsys.Options) *auxSystem {
	t.Helper()
	system(t)
	cfg, err := localsys.LoadConfig(filepath.Join(sutDir, localsys.DemoConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	if edit != nil {
		edit(cfg)
	}
	a := &auxSystem{logs: &lockedBuffer{}}
	if o.Logger == nil {
		o.Logger = jsonLogger(a.logs)
	}
	if o.PollInterval == 0 {
		o.PollInterval = 20 * time.Millisecond
	}
	if a.sys, err = localsys.Start(cfg, o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.sys.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	a.d = a.sys.Description()
	return a
}

// token gets an access token of tenant i from the system's token endpoint.
func (a *auxSystem) token(t *testing.T, i int) string {
	t.Helper()
	ti := a.d.Tenants[i]
	req, _ := http.NewRequest("POST", ti.TokenURL, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ti.ClientID, ti.ClientSecret)
	code, b := do(t, req)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token: %d %s", code, b)
	}
	return tr.AccessToken
}

// api makes one SDK API call as tenant i.
func (a *auxSystem) api(t *testing.T, i int, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.d.SDKAPIBaseURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.token(t, i))
	req.Header.Set("Content-Type", sdkapi.MediaType)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// submit sends a plain SDK message from tenant A to B's function address fn and returns its id.
func (a *auxSystem) submit(t *testing.T, fn string) string {
	t.Helper()
	body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Konformans", "sender": localsys.DemoParticipantA, "recipient": localsys.DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": fn}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"konformans"}}}}}}
	code, b := a.api(t, 0, "POST", "/sdk/messages", body)
	var doc sdkapi.Document[sdkapi.Resource]
	if code != http.StatusCreated || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("submit: %d %s", code, b)
	}
	return doc.Data.ID
}

// waitFinal waits until A's message id has left the in-flight statuses and returns it.
func (a *auxSystem) waitFinal(t *testing.T, id string) sdkapi.Attributes {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, b := a.api(t, 0, "GET", "/sdk/messages/"+id, nil)
		var doc sdkapi.Document[sdkapi.Resource]
		_ = json.Unmarshal(b, &doc)
		switch s := doc.Data.Attributes.MessageStatus; s {
		case "ACCEPTED", "REJECTED", "MESSAGE_EXCHANGE_ERROR", "ERROR":
			return doc.Data.Attributes
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not final: %s", id, b)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// logLines returns the system's log lines that contain every one of parts.
func (a *auxSystem) logLines(parts ...string) []string {
	var out []string
	for _, l := range strings.Split(a.logs.String(), "\n") {
		all := l != ""
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			out = append(out, l)
		}
	}
	return out
}

func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lockedBuffer is a log sink the system's goroutines may write to concurrently.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
