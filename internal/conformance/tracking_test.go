package conformance

import (
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/ebms"
)

// AS4_4CT_TA02: the four-corner trackingIdentifier message property is optional
// (eDelivery AS4 four-corner topology: originalSender and finalRecipient MUST,
// trackingIdentifier MAY; spec-facts §g). A message that carries one is accepted and
// delivered; SDK's own messages carry none (its P-Mode defines no value for it), which
// the same test checks on what A's AP sends.
func TestAS4_4CT_TA02_TrackingIdentifier(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	typ := m.um.Properties[0].Type
	m.um.Properties = append(m.um.Properties, ebms.Property{Name: "trackingIdentifier", Type: typ, Value: "spår-" + m.id})
	ct, body := m.pack(t)
	if code, _, b := post(t, ct, body); !isReceipt(b) {
		t.Fatalf("with trackingIdentifier: HTTP %d, error %q", code, ebmsError(b))
	}
	waitMail(t, "registrator", m.id)

	_, w := sent(t)
	for _, p := range w.all("//eb:MessageProperties/eb:Property") {
		if strings.EqualFold(p.SelectAttrValue("name", ""), "trackingIdentifier") {
			t.Fatalf("A's AP sent a trackingIdentifier %q", p.Text())
		}
	}
	if n := len(w.all("//eb:MessageProperties/eb:Property")); n != 2 {
		t.Fatalf("A's AP sent %d message properties, want originalSender and finalRecipient", n)
	}
}
