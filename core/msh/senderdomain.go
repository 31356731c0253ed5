package msh

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/brevduva/brevduva/core/kvittens"
)

// SenderDomainCheck is what delivery does with the sender check "same top domain in
// From/PartyId and originalSender" ([CONTENT] senderId row, §5.3; spec-facts §a.3). For
// AP ids such as AP0007-OPEN-TEST the rule makes no sense, so by default it is only
// logged (⚠U spec-facts §k 22: log only, enforce as the alternative).
type SenderDomainCheck int

const (
	// SenderDomainLog logs a mismatch and delivers (the default).
	SenderDomainLog SenderDomainCheck = iota
	// SenderDomainEnforce rejects a mismatch (kvittens REJECTED, sender mismatch).
	SenderDomainEnforce
)

// topDomain is the last DNS label of an identifier's domain part, lower-cased: "se" for
// "0203:sdk.kommun-a.se" and for "ap.kommun-a.se"; "" for an id without a dot (an AP id
// like AP0007-OPEN-TEST). Which domain DIGG means is ⚠U spec-facts §k 22.
func topDomain(id string) string {
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	i := strings.LastIndexByte(id, '.')
	if i < 0 || i == len(id)-1 {
		return ""
	}
	return strings.ToLower(id[i+1:])
}

// checkSenderDomain compares the top domains of the sending AP (eb:From/PartyId) and
// the originalSender: a mismatch is logged, and rejected under SenderDomainEnforce.
func (e *Engine) checkSenderDomain(ctx context.Context, log *slog.Logger, in InboundMessage) error {
	from, org := topDomain(in.FromParty), topDomain(in.OriginalSender)
	if from != "" && from == org {
		return nil
	}
	enforce := e.o.SenderDomain == SenderDomainEnforce
	log.InfoContext(ctx, "sender top domain differs", "fromParty", in.FromParty, "originalSender", in.OriginalSender, "enforced", enforce)
	if !enforce {
		return nil
	}
	d := kvittens.Decide(kvittens.EventSenderMismatch)
	return &kvittens.Rejection{Reason: d.Reason, Detail: d.Detail, Err: errors.New("msh: From/PartyId and originalSender differ in top domain")}
}
