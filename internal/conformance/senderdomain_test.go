package conformance

import (
	"testing"

	"github.com/brevduva/brevduva/internal/localsys"
)

// TestSenderTopDomainCheck (⚠U spec-facts §k 22, [CONTENT] §5.3 senderId row): the demo
// APs' From/PartyId (AP0001-BREVDUVA-DEMO) and originalSender
// (0203:kommun-a.brevduva.localhost) share no top domain. By default B logs it and the
// message is ACCEPTED; with "senderDomainCheck": "enforce" B rejects it (REJECTED).
func TestSenderTopDomainCheck(t *testing.T) {
	for _, c := range []struct{ mode, status, enforced string }{
		{"", "ACCEPTED", `"enforced":false`},
		{"enforce", "REJECTED", `"enforced":true`},
	} {
		a := startAux(t, func(cfg *localsys.Config) { cfg.SenderDomainCheck = c.mode }, localsys.Options{})
		id := a.submit(t, "registrator")
		if got := a.waitFinal(t, id); got.MessageStatus != c.status {
			t.Errorf("%q: %s, want %s", c.mode, got.MessageStatus, c.status)
		}
		if l := a.logLines(`"sender top domain differs"`, `"tenant":"kommun-b"`, id, c.enforced); len(l) != 1 {
			t.Errorf("%q: log lines %q", c.mode, l)
		}
	}
}
