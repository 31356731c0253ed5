package localsys

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/sdkapi"
)

// TestTransportFailureReason: a user who sends to a test-bed AP that cannot be reached
// reads why in the outbox events (keeping EBMS:0005, then EBMS:0301): the TLS verdict on
// the peer's certificate or a refused connection — not just "no response".
func TestTransportFailureReason(t *testing.T) {
	dir := demoCopy(t)
	s := startWith(t, dir, Options{PollInterval: 10 * time.Millisecond, Logger: testLogger(t),
		Retry: &msh.RetryPolicy{Timeout: 200 * time.Millisecond, Retries: 1, Strategy: msh.RetryConstant}})
	d := s.Description()
	tok := token(t, d, 0)
	want := map[string]string{
		TestExpiredTLS:  "EBMS:0005 TLS: the access point's certificate has expired",
		TestWrongTLSCA:  "EBMS:0005 TLS: the access point's certificate is from an unknown authority",
		TestUnreachable: "EBMS:0005 connection refused",
	}
	for p, w := range want {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
				"confidentiality": false, "label": "TLS", "sender": DemoParticipantA, "recipient": p,
				"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
				"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"x"}}}}}}
			code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tok, "", body)
			if code != http.StatusCreated {
				t.Fatalf("submit: %d %s", code, b)
			}
			var doc sdkapi.Document[sdkapi.Resource]
			_ = json.Unmarshal(b, &doc)
			deadline := time.Now().Add(20 * time.Second)
			for {
				code, b = call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+url.PathEscape(doc.Data.ID), tok, "", nil)
				var got sdkapi.Document[sdkapi.Resource]
				_ = json.Unmarshal(b, &got)
				if a := got.Data.Attributes; a.MessageStatus == "MESSAGE_EXCHANGE_ERROR" {
					var resend, last string
					for _, e := range a.Events {
						if e.MessageStatus == "SCHEDULED_FOR_RESEND" {
							resend = e.Reason
						}
						last = e.Reason
					}
					// The resend event holds the code; the final one the code and detail.
					if resend != "EBMS:0005" || !strings.HasPrefix(last, "EBMS:0301 "+w) {
						t.Fatalf("reasons: resend %q, final %q", resend, last)
					}
					return
				}
				if code != http.StatusOK || time.Now().After(deadline) {
					t.Fatalf("no MESSAGE_EXCHANGE_ERROR: %d %s", code, b)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
