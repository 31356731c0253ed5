package conformance

import (
	"net/http"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/o2o"
)

// Issue 10 "Must hold", wrong O2O signer, over real HTTPS with mutual TLS: an XHE that
// claims Kommun A as sender but is signed with Kommun B's organisation key (not the
// certificate CertPub publishes for A) is acknowledged at the AS4 layer — the AP
// signature is A's and valid — but B's message service refuses it ([CONTENT] §5.3:
// REJECTED SIG security) and delivers nothing. (The REJECTED kvittens itself is asserted
// in core/msh's TestEngineWrongO2OSigner; here A's AP does not know the message.)
func TestO2OWrongSignerNotDelivered(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	orgB := leaf(t, "org-b")
	wrong := &o2o.Sealer{Key: orgB.Key, Cert: orgB.Cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	x, err := wrong.Seal(m.plain, orgB.Cert, m.fn)
	if err != nil {
		t.Fatal(err)
	}
	m.payloads[0].Data = x
	ct, body := m.pack(t)
	if code, _, b := post(t, ct, body); code != http.StatusOK || !isReceipt(b) {
		t.Fatalf("AS4 layer: HTTP %d, error %q", code, ebmsError(b))
	}
	// A correctly signed message posted after it is delivered; by then the wrongly
	// signed one would have been too.
	notDelivered(t, "registrator", m.id)
}
