package msh_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
)

// TestSenderDomainCheck (⚠U spec-facts §k 22): the test APs' From/PartyId (the AP
// certificate's CN, no domain) and originalSender (0203:kommun-a.se) differ in top
// domain. By default B logs it and delivers; with SenderDomainEnforce B rejects the
// message (kvittens REJECTED) and delivers nothing.
func TestSenderDomainCheck(t *testing.T) {
	for n, c := range []struct {
		mode      msh.SenderDomainCheck
		want      msh.State
		delivered int
		enforced  string
	}{{msh.SenderDomainLog, msh.StateAccepted, 1, `"enforced":false`}, {msh.SenderDomainEnforce, msh.StateRejected, 0, `"enforced":true`}} {
		w := enginetest.NewWorld(t, nil)
		var logs syncBuffer
		w.Configure = func(o *msh.EngineOptions) {
			o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			o.SenderDomain = c.mode
		}
		w.Start(w.B)
		mid := enginetest.ID(960 + n)
		submit(t, w, mid, fnB)
		w.MustPump()
		w.WantState(mid, c.want)
		if got := len(w.Mail(fnB)); got != c.delivered {
			t.Errorf("mode %d: %d delivered, want %d", c.mode, got, c.delivered)
		}
		line := ""
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "sender top domain differs") {
				line = l
			}
		}
		if !strings.Contains(line, `"originalSender":"`+partA+`"`) || !strings.Contains(line, c.enforced) {
			t.Errorf("mode %d: log line %q", c.mode, line)
		}
	}
}
