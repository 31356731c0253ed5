package sdkapi

import (
	"context"
	"net/http"
	"net/url"
)

// KvittensService is the part of the access point that takes a Meddelandekvittens sealed
// by the client (end-to-end mode: the organisation key is in the browser, so the engine
// cannot sign the business receipt itself; spec-facts §d).
type KvittensService interface {
	// SubmitKvittens queues the kvittens XHE (signed with the tenant's O2O key, never
	// encrypted) answering the delivered message messageID of mailbox address, and
	// returns it as a sent message. The same XHE again returns the queued one; another
	// for the same message is ErrDuplicate; a kvittens that does not answer the message or
	// is not signed with the tenant's certificate is ErrInvalid.
	SubmitKvittens(ctx context.Context, tenant, address, messageID string, xhe []byte) (Sent, error)
}

// kvittens is POST {base}/sdk/mailboxes/{address}/messages/{id}/kvittens (Brevduva's
// mailbox extension): a JSON:API document {"data": {"type": "messages", "attributes":
// {"sealedXhe": base64}}}. Scope and function-address limit are the mailbox's; 202 with
// the queued kvittens (an outbound message of the receipt leg).
func (h *handler) kvittens(w http.ResponseWriter, r *http.Request) {
	const op = "submitMailboxKvittens"
	p, ok := h.mailboxAuth(w, r, http.MethodPost, op)
	if !ok {
		return
	}
	data, ok := h.readDocument(w, r)
	if !ok {
		return
	}
	if len(data.Attributes.SealedXHE) == 0 {
		writeProblem(w, r, Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: "the sealed kvittens is required",
			EventIssues: []EventIssue{{TypeCode: "required", Title: "sealedXhe is required", In: "data.attributes.sealedXhe"}}})
		return
	}
	ks, ok := h.o.Service.(KvittensService)
	if !ok {
		writeProblem(w, r, Problem{Type: ProblemNotImplemented, Status: http.StatusNotImplemented, Detail: "this installation takes no kvittens from clients"})
		return
	}
	s, err := ks.SubmitKvittens(r.Context(), p.Tenant, r.PathValue("address"), r.PathValue("id"), data.Attributes.SealedXHE)
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	h.o.Logger.Info("sdk mailbox kvittens queued", "tenant", p.Tenant, "client", p.ClientID, "messageId", s.MessageID, "refTo", r.PathValue("id"))
	self := h.url("/sdk/messages/"+url.PathEscape(s.MessageID), nil)
	h.write(w, http.StatusAccepted, Document[Resource]{Meta: &Meta{Version: Version}, Links: &Links{Self: self},
		Data: Resource{Type: TypeMessages, ID: s.MessageID, Attributes: FromSent(s)}})
}

var _ KvittensService = (*engineService)(nil)

// SubmitKvittens implements KvittensService with the tenant's engine (msh.SubmitKvittens).
func (a *engineService) SubmitKvittens(ctx context.Context, tenant, address, id string, xhe []byte) (Sent, error) {
	e, err := a.engine(tenant)
	if err != nil {
		return Sent{}, err
	}
	if err := a.mailbox(tenant, address); err != nil {
		return Sent{}, err
	}
	o, err := e.SubmitKvittens(ctx, tenant, address, id, xhe)
	if err != nil {
		return Sent{}, mapErr(err)
	}
	return sent(o), nil
}
