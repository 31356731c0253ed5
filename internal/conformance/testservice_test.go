package conformance

import (
	"net/http"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/ebms"
)

// testServiceMessage is a valid message on the ebMS test service and action.
func testServiceMessage(t *testing.T) *message {
	t.Helper()
	m := newMessage(t, "registrator")
	m.um.Collaboration.Service = ebms.Service{Value: ebms.TestService}
	m.um.Collaboration.Action = ebms.TestAction
	return m
}

// TA17: a test-service message is answered with a receipt and HTTP 2xx.
func TestAS4_CP_TA17_TestServiceReceipt(t *testing.T) {
	system(t)
	m := testServiceMessage(t)
	ct, body := m.pack(t)
	code, _, b := post(t, ct, body)
	if code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("HTTP %d, error %q", code, ebmsError(b))
	}
}

// TA16: a test-service message is not delivered to any mailbox.
func TestAS4_CP_TA16_TestServiceNotDelivered(t *testing.T) {
	system(t)
	m := testServiceMessage(t)
	ct, body := m.pack(t)
	if code, _, b := post(t, ct, body); code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("test message: HTTP %d, error %q: %.400s", code, ebmsError(b), b)
	}
	// A normal message posted after it is delivered; by then the test message would be too.
	n := newMessage(t, "registrator")
	ct2, body2 := n.pack(t)
	if code, _, b := post(t, ct2, body2); code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("control: HTTP %d: %.400s", code, b)
	}
	waitMail(t, "registrator", n.id)
	time.Sleep(300 * time.Millisecond)
	if c := mailCount(t, "registrator", m.id); c != 0 {
		t.Fatalf("test message delivered %d times", c)
	}
}
