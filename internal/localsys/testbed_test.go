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

// TestTestBed sends from Kommun A to each negative participant of the test bed and
// checks the outcome a user sees through the SDK API (status, events, reason).
func TestTestBed(t *testing.T) {
	dir := demoCopy(t)
	s := startWith(t, dir, Options{PollInterval: 10 * time.Millisecond, Logger: testLogger(t),
		Retry: &msh.RetryPolicy{Timeout: 400 * time.Millisecond, Retries: 2, Strategy: msh.RetryConstant}})
	d := s.Description()
	tok := token(t, d, 0)
	send := func(recipient string) (int, sdkapi.Document[sdkapi.Resource], string) {
		body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
			"confidentiality": false, "label": "Test", "sender": DemoParticipantA, "recipient": recipient,
			"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
			"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"test"}}},
		}}}
		code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tok, "", body)
		var doc sdkapi.Document[sdkapi.Resource]
		_ = json.Unmarshal(b, &doc)
		return code, doc, string(b)
	}
	final := func(id string) sdkapi.Attributes {
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, b := call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+url.PathEscape(id), tok, "", nil)
			var doc sdkapi.Document[sdkapi.Resource]
			_ = json.Unmarshal(b, &doc)
			switch doc.Data.Attributes.MessageStatus {
			case "MESSAGE_EXCHANGE_ERROR", "ERROR", "REJECTED", "ACCEPTED":
				return doc.Data.Attributes
			}
			if code != http.StatusOK || time.Now().After(deadline) {
				t.Fatalf("%s: no final status: %d %s", id, code, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	tokB := token(t, d, 1)
	events := func(a sdkapi.Attributes) (states, reasons string) {
		var st, rs []string
		for _, e := range a.Events {
			st, rs = append(st, e.MessageStatus), append(rs, e.Reason)
		}
		return strings.Join(st, ","), strings.Join(rs, ",")
	}
	for _, p := range d.TestParticipants {
		t.Run(p.Participant, func(t *testing.T) {
			t.Parallel()
			code, doc, raw := send(p.Participant)
			if p.Participant == TestWrongAS4 {
				// Discovery refuses the AP certificate before anything is queued.
				if code != http.StatusUnprocessableEntity || !strings.Contains(raw, "untrusted access point") {
					t.Fatalf("wrong AS4 certificate: %d %s", code, raw)
				}
				return
			}
			if p.Participant == TestExpiredO2O && code == http.StatusUnprocessableEntity {
				// The sender checks the CertPub certificate's validity before sealing.
				if !strings.Contains(raw, "data.attributes.recipient") {
					t.Errorf("expired O2O: %s", raw)
				}
				return
			}
			if code != http.StatusCreated {
				t.Fatalf("submit: %d %s", code, raw)
			}
			a := final(doc.Data.ID)
			states, reasons := events(a)
			t.Logf("status %s; events %s; reasons %s", a.MessageStatus, states, reasons)
			switch p.Participant {
			case TestUnreachable, TestExpiredTLS, TestWrongTLSCA:
				// Connection or handshake failures: retried per the PMode, then EBMS:0301.
				if a.MessageStatus != "MESSAGE_EXCHANGE_ERROR" || strings.Count(states, "SCHEDULED_FOR_RESEND") != 2 ||
					!strings.Contains(reasons, "EBMS:0005") || !strings.HasPrefix(a.Events[len(a.Events)-1].Reason, "EBMS:0301") {
					t.Errorf("got %s: %s / %s", a.MessageStatus, states, reasons)
				}
			case TestRevokedAS4:
				// The SMP's AP certificate is on the AP CA's CRL (served by the demo, fetched
				// through crlUrls): retried, then MESSAGE_EXCHANGE_ERROR; never posted.
				if a.MessageStatus != "MESSAGE_EXCHANGE_ERROR" || !strings.Contains(reasons, "EBMS:0101") {
					t.Errorf("revoked AP certificate: %s: %s / %s", a.MessageStatus, states, reasons)
				}
			case TestExpiredO2O:
				// An engine that seals for the expired certificate anyway: never accepted, and
				// never delivered (checked below).
				if a.MessageStatus == "ACCEPTED" || a.MessageStatus == "" {
					t.Errorf("expired O2O certificate: %s", a.MessageStatus)
				}
			}
			// Nothing reached a mailbox of Kommun B.
			code, b := call(t, "GET", d.SDKAPIBaseURL+"/sdk/mailboxes/registrator/messages/"+url.PathEscape(doc.Data.ID), tokB, "", nil)
			if code != http.StatusNotFound {
				t.Errorf("delivered to B: %d %s", code, b)
			}
		})
	}
}
